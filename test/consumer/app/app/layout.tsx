import type { Metadata } from 'next'
import type { ReactNode } from 'react'
import './globals.css'

// The template's layout, without next/font/google (it fetches fonts from Google at build time).
export const metadata: Metadata = { title: 'actionroute consumer' }

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  )
}
