// The root layout Next needs for the one page (app/actions), whose path the action variants are posted to.
export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  )
}
