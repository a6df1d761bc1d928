// How each kind of door receives one new user, byte for byte as its usual client sends it: the benchmark's
// load generator (load.mjs) and its sanity checks build every request body here. Values are plain text
// (no quotes, line breaks or leading `$`, which the encodings below would have to escape).

// A browser's multipart boundary; its length does not matter to the server's parser.
const BOUNDARY = '----WebKitFormBoundaryActionrouteBench'
const part = (name, value) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`

export const ENCODINGS = {
  // A Route Handler: a JSON body.
  json: {
    headers: { 'content-type': 'application/json' },
    body: (input) => JSON.stringify(input),
  },
  // A form action from useActionState, called with (previous state, FormData): React's encodeReply puts the
  // form's entries first, each prefixed `_1_`, then entry `0`, the argument list, with `$K1` naming the form.
  formAction: {
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, accept: 'text/x-component' },
    body: (input) =>
      Object.entries(input).map(([name, value]) => part(`_1_${name}`, value)).join('') +
      part('0', '[{"status":"idle"},"$K1"]') +
      `--${BOUNDARY}--\r\n`,
  },
  // An action called with an object, `action({ name })`: encodeReply answers plain JSON, which fetch sends as text.
  actionArguments: {
    headers: { 'content-type': 'text/plain;charset=UTF-8', accept: 'text/x-component' },
    body: (input) => JSON.stringify([input]),
  },
}
