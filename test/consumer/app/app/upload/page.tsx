import { uploadImageAction } from './actions'
import { UploadForm } from './upload-form'

export default function Upload() {
  return (
    <main>
      <h1>Upload</h1>
      <UploadForm action={uploadImageAction} />
    </main>
  )
}
