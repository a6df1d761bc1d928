import { useId } from 'react'

interface FieldProps {
  name: string
  label: string
  hint?: string
  type?: 'text' | 'email' | 'password' | 'file'
  /** For a file input: the media types the picker offers. */
  accept?: string
  defaultValue?: string | undefined
  errors?: string[] | undefined
  autoComplete?: string
}

/** A labelled input whose errors are announced with it (aria-describedby). */
export function Field({ name, label, hint, type = 'text', accept, defaultValue, errors, autoComplete = 'off' }: FieldProps) {
  const id = useId()
  const errorId = `${id}-error`
  const invalid = Boolean(errors?.length)
  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        {hint ? <span className="hint"> ({hint})</span> : null}
      </label>
      <input
        id={id}
        name={name}
        type={type}
        accept={accept}
        defaultValue={type === 'file' ? undefined : defaultValue}
        autoComplete={type === 'file' ? undefined : autoComplete}
        aria-invalid={invalid || undefined}
        aria-describedby={invalid ? errorId : undefined}
      />
      {invalid ? (
        <p id={errorId} className="field-error">
          {errors!.join(' ')}
        </p>
      ) : null}
    </div>
  )
}
