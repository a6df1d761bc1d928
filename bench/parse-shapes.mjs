// The hostile request shapes of `npm run bench:parse`: each is built as large as its door allows (just under
// the 1 MB body limit, or Node's 16 KB header limit for a query string) by a binary search over its scale.

export const BODY_LIMIT = 1024 * 1024
/** Bodies stop this far under the limit: big enough to hurt, never refused for size alone. */
export const BODY_BUDGET = BODY_LIMIT - 8 * 1024 // = budgetUnder(BODY_LIMIT)
/** Node's default --max-http-header-size is 16 KB for the request line and all headers together. */
export const HEADER_LIMIT = 16 * 1024

// Short, so that as many parts as possible fit: a browser's is ~40 characters.
const BOUNDARY = 'b'

/** The largest n >= 1 with size(n) <= budget (size grows with n): doubling, then bisection. */
function fit(size, budget) {
  if (size(1) > budget) throw new Error(`even the smallest instance is over ${budget} bytes`)
  let low = 1
  let high = 2
  while (size(high) <= budget) [low, high] = [high, high * 2]
  high -= 1
  while (low < high) {
    const middle = Math.ceil((low + high) / 2)
    if (size(middle) <= budget) low = middle
    else high = middle - 1
  }
  return low
}

const repeatFields = (count, make) => Array.from({ length: count }, (_, index) => make(index))

/** `a0[b][c][d]…`: a path segment per `[x]`, cycling through the alphabet. */
const deepName = (prefix, segments) => {
  let name = prefix
  for (let index = 0; index < segments; index++) name += `[${String.fromCharCode(98 + (index % 24))}]`
  return name
}

// ---- form shapes: n => [name, value][] for the urlencoded, multipart, action and query doors

const FORMS = {
  brackets: {
    label: 'one name of `[` × n',
    fields: (n) => [['['.repeat(n), '1']],
    show: (n) => `[ × ${n.toLocaleString('en')}`,
  },
  'brackets-64': {
    label: '64 names of `[` × 15,000 (the issue\'s shape, whatever the limit)',
    fields: () => repeatFields(64, () => ['['.repeat(15_000), '1']),
    show: () => '64 × [ × 15,000',
    fixed: true,
  },
  'deep-names': {
    label: '1,000 fields named `aN[b][c]…` (long)',
    count: (budget) => (budget > 100_000 ? 1_000 : 15),
    fields: (n, count) => repeatFields(count, (index) => [deepName(`a${index}`, n), '1']),
    show: (n, count) => `${count.toLocaleString('en')} × ${n.toLocaleString('en')} segments`,
  },
  'at-limits': {
    label: 'up to 1,000 fields at every limit (depth 8, 1,000-char names)',
    // 8 segments, 1,000 characters: the most a name may be and still be parsed, as many as fit.
    fields: (n) =>
      repeatFields(n, (index) => {
        const head = `f${index}`
        const width = Math.floor((1000 - head.length) / 7) - 2
        return [head + `[${'k'.repeat(width)}]`.repeat(7), '1']
      }),
    show: (n) => `${n.toLocaleString('en')} × ~1,000-char names`,
    max: 1_000,
  },
  'dot-bracket': {
    label: 'one name of `.[` × n',
    fields: (n) => [['.['.repeat(n), '1']],
    show: (n) => `.[ × ${n.toLocaleString('en')}`,
  },
  repeated: {
    label: '`x=1` × n (one name repeated)',
    fields: (n) => repeatFields(n, () => ['x', '1']),
    show: (n) => `${n.toLocaleString('en')} fields`,
  },
  conflicts: {
    label: '`x=1&x=2&x[length]=0` × n',
    fields: (n) => {
      const fields = []
      for (let index = 0; index < n; index++) fields.push(['x', '1'], ['x', '2'], ['x[length]', '0'])
      return fields
    },
    show: (n) => `${(3 * n).toLocaleString('en')} fields`,
  },
  percent: {
    label: 'one name of `%5B` × n (escaped `[`)',
    fields: (n) => [['%5B'.repeat(n), '1']],
    show: (n) => `%5B × ${n.toLocaleString('en')}`,
    raw: true, // written as is: the percent-escapes are the point
  },
  'tiny-parts': {
    label: 'tiny parts `x=1` × n (as many as fit)',
    fields: (n) => repeatFields(n, () => ['x', '1']),
    show: (n) => `${n.toLocaleString('en')} parts`,
  },
  'tiny-files': {
    label: 'tiny file parts `x` (`filename="f"`) × n (as many as fit)',
    // The name closes its quote and adds a file name: `name="x"; filename="f"`. Files cost a buffering parser 10-20x a field.
    fields: (n) => repeatFields(n, () => ['x"; filename="f', '1']),
    show: (n) => `${n.toLocaleString('en')} file parts`,
  },
  'tiny-parts-50k': {
    label: '50,000 tiny parts (over the limit: must be a cheap 413)',
    fields: () => repeatFields(50_000, () => ['x', '1']),
    show: () => '50,000 parts',
    fixed: true,
  },
  'huge-name': {
    label: 'one part name of `a` × n',
    fields: (n) => [['a'.repeat(n), '1']],
    show: (n) => `a × ${n.toLocaleString('en')}`,
  },
}

// ---- encodings

const urlencode = (text, raw) => (raw ? text : encodeURIComponent(text).replace(/%5B/g, '[').replace(/%5D/g, ']'))

function urlencoded(fields, raw) {
  return fields.map(([name, value]) => `${urlencode(name, raw)}=${urlencode(value, raw)}`).join('&')
}

const partOf = (name, value) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`
const PART_OVERHEAD = partOf('', '').length
const CLOSE = `--${BOUNDARY}--\r\n`

function multipart(fields) {
  return fields.map(([name, value]) => partOf(name, value)).join('') + CLOSE
}

function multipartSize(fields) {
  let size = CLOSE.length
  for (const [name, value] of fields) size += PART_OVERHEAD + name.length + value.length
  return size
}

function urlencodedSize(fields, raw) {
  if (!raw && fields.some(([name, value]) => /[^\w.[\]%-]/.test(name + value))) return urlencoded(fields, raw).length
  let size = fields.length - 1
  for (const [name, value] of fields) size += name.length + value.length + 1
  return size
}

// The Server Action door: React's reply encoding for a `(prevState, formData)` action. The form's
// entries come first, each prefixed `_1_`, then entry `0` lists the arguments; `$K1` names the form.
const ACTION_ARGS = '[{"status":"idle"},"$K1"]'
const actionFields = (fields) => [...fields.map(([name, value]) => [`_1_${name}`, value]), ['0', ACTION_ARGS]]

// ---- JSON shapes: n => text

const base36 = (index) => index.toString(36)
const JSON_SHAPES = {
  'deep-array': {
    label: 'nested arrays `[[[…]]]`',
    text: (n) => '['.repeat(n) + ']'.repeat(n),
    size: (n) => 2 * n,
    show: (n) => `${n.toLocaleString('en')} deep`,
  },
  'many-keys': {
    label: 'an object with n keys',
    text: (n) => `{${Array.from({ length: n }, (_, index) => `"${base36(index)}":1`).join(',')}}`,
    size: (n) => {
      let size = 2 + (n - 1)
      for (let digits = 1, from = 0; from < n; digits++) {
        const to = Math.min(n, 36 ** digits)
        size += (to - from) * (digits + 4)
        from = to
      }
      return size
    },
    show: (n) => `${n.toLocaleString('en')} keys`,
  },
  'nul-string': {
    label: '`{"name":"\\u0000…"}` (escapes only)',
    text: (n) => `{"name":"${'\\u0000'.repeat(n)}"}`,
    size: (n) => 11 + 6 * n,
    show: (n) => `${n.toLocaleString('en')} escapes`,
  },
  'name-deep': {
    label: '`{"name": {"a": {"a": …}}}`',
    text: (n) => `{"name":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`,
    size: (n) => 10 + 6 * n,
    show: (n) => `${n.toLocaleString('en')} deep`,
  },
}

// ---- the shapes, door by door

const FORM_DOORS = {
  urlencoded: ['brackets', 'deep-names', 'at-limits', 'dot-bracket', 'repeated', 'conflicts', 'percent'],
  multipart: ['brackets', 'deep-names', 'at-limits', 'dot-bracket', 'tiny-parts', 'tiny-files', 'conflicts', 'huge-name', 'tiny-parts-50k'],
  action: ['brackets-64', 'brackets', 'deep-names', 'at-limits', 'dot-bracket', 'tiny-parts', 'tiny-files', 'conflicts'],
  query: ['brackets', 'deep-names', 'at-limits', 'dot-bracket', 'repeated', 'conflicts', 'percent'],
}

/** The groups, each measured in its own locked run with its own server. */
export const GROUPS = {
  urlencoded: FORM_DOORS.urlencoded.map((form) => `urlencoded/${form}`),
  multipart: FORM_DOORS.multipart.map((form) => `multipart/${form}`),
  'json+query': [...Object.keys(JSON_SHAPES).map((shape) => `json/${shape}`), ...FORM_DOORS.query.map((form) => `query/${form}`)],
  action: FORM_DOORS.action.map((form) => `action/${form}`),
}
export const SHAPE_IDS = Object.values(GROUPS).flat()

/** Query-string room left once the request line and the headers the client sends are counted. */
/** Room for a body under a limit of `limit` bytes: close to it, never over it. */
export const budgetUnder = (limit) => limit - Math.min(8 * 1024, Math.floor(limit / 32))

export function queryBudget(host) {
  const head = `GET /api/users? HTTP/1.1\r\nHost: ${host}\r\nConnection: keep-alive\r\n\r\n`
  return HEADER_LIMIT - head.length - 64
}

function scaled(spec, size, budget) {
  if (spec.fixed) return 1
  return Math.min(fit(size, budget), spec.max ?? Infinity)
}

/**
 * Builds one shape: `{ id, door, label, detail, request: { method, path, headers, body } }`. `context` gives
 * `host` (for the query budget) and, for the action door, `actionId`, `actionPath` and `actionLimit` (the
 * build's serverActions.bodySizeLimit in bytes; 1 MB by default).
 */
export function buildShape(id, context) {
  const [door, name] = id.split('/')
  if (door === 'json') {
    const spec = JSON_SHAPES[name]
    const n = fit(spec.size, BODY_BUDGET)
    const body = Buffer.from(spec.text(n))
    if (body.length !== spec.size(n)) throw new Error(`${id}: size() is wrong (${spec.size(n)} vs ${body.length})`)
    return {
      id,
      door,
      label: spec.label,
      detail: spec.show(n),
      request: { method: 'POST', path: '/api/addUser', headers: { 'content-type': 'application/json' }, body },
    }
  }
  const spec = FORMS[name]
  if (!spec) throw new Error(`unknown shape ${id}`)
  const budget = door === 'query' ? queryBudget(context.host) : door === 'action' ? budgetUnder(context.actionLimit ?? BODY_LIMIT) : BODY_BUDGET
  const count = spec.count?.(budget)
  const fieldsOf = door === 'action' ? (n) => actionFields(spec.fields(n, count)) : (n) => spec.fields(n, count)
  const sizeOf = door === 'urlencoded' || door === 'query' ? (n) => urlencodedSize(fieldsOf(n), spec.raw) : (n) => multipartSize(fieldsOf(n))
  const n = scaled(spec, sizeOf, budget)
  const fields = fieldsOf(n)
  const base = { id, door, label: spec.label, detail: spec.show(n, count) }
  if (door === 'query') {
    const query = urlencoded(fields, spec.raw)
    return { ...base, request: { method: 'GET', path: `/api/users?${query}`, headers: {}, body: null } }
  }
  if (door === 'urlencoded') {
    const body = Buffer.from(urlencoded(fields, spec.raw))
    return {
      ...base,
      request: { method: 'POST', path: '/api/addUser', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body },
    }
  }
  const body = Buffer.from(multipart(fields))
  const headers = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }
  if (door === 'multipart') return { ...base, request: { method: 'POST', path: '/api/addUser', headers, body } }
  return {
    ...base,
    request: {
      method: 'POST',
      path: context.actionPath,
      headers: { ...headers, 'next-action': context.actionId, accept: 'text/x-component' },
      body,
    },
  }
}

/** A valid Server Action submission of the addUser form: the sanity check that the door is called right. */
export function validActionRequest(context, name) {
  return {
    method: 'POST',
    path: context.actionPath,
    headers: {
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      'next-action': context.actionId,
      accept: 'text/x-component',
    },
    body: Buffer.from(multipart(actionFields([['name', name]]))),
  }
}
