import { describe, expect } from 'vitest'
import { addedUser, client, describeAnswer, onBothBackends, pool, report, seconds, statusOf, tally, type Answer } from './harness'

// 1,000 Idempotency-Keys, each sent with the same body by 5 requests at once, 10 keys at a time (50
// requests in flight): per key exactly one request adds the user, the others get 409 (still running)
// or the replay of its 201, and the database holds exactly one user per key. Then the Server Action
// form's key (its hidden idempotency-key field), each form posted 5 times at once: a double submit
// waits for the first answer, so all 5 get the same success.

const KEYS = 1_000
const PER_KEY = 5
const KEYS_AT_ONCE = 10
const FORMS = 100

describe(`${KEYS.toLocaleString('en')} idempotency keys × ${PER_KEY} concurrent requests`, () => {
  onBothBackends(`one row per key; every answer 201 (one of them not a replay) or 409; ${FORMS} forms × ${PER_KEY} submits → one row each`, 240_000, async (store) => {
    const server = await store.start({ RATE_LIMIT_WRITES: '0' })
    const http = client(server.url, KEYS_AT_ONCE * PER_KEY)
    const run = crypto.randomUUID()
    const startedAt = Date.now()
    const perKey = await pool(KEYS, KEYS_AT_ONCE, (key) =>
      Promise.all(Array.from({ length: PER_KEY }, () => http.addViaApi({ name: `Keyed ${key}` }, { 'idempotency-key': `"${run}-${key}"` }))),
    )
    const ms = Date.now() - startedAt

    const all = perKey.flat()
    const replayed = (answer: Answer) => !('error' in answer) && answer.headers['idempotency-replayed'] === 'true'
    const wrong: string[] = []
    perKey.forEach((answers, key) => {
      const unexpected = answers.filter((answer) => answer.status !== 201 && answer.status !== 409)
      const created = answers.filter((answer) => answer.status === 201 && !replayed(answer))
      const ids = new Set(answers.flatMap((answer) => addedUser(answer)?.id ?? []))
      if (unexpected.length > 0) wrong.push(`key ${key}: ${unexpected.map(describeAnswer).join('; ')}`)
      if (created.length !== 1) wrong.push(`key ${key}: ${created.length} answers created a user`)
      if (ids.size !== 1) wrong.push(`key ${key}: ${ids.size} different users in the answers`)
    })

    // The form door: each form (one render's key) submitted PER_KEY times at once.
    const formsStartedAt = Date.now()
    const perForm = await pool(FORMS, KEYS_AT_ONCE, (form) =>
      Promise.all(Array.from({ length: PER_KEY }, () => http.addViaAction({ name: `Form keyed ${form}`, 'idempotency-key': `${run}-form-${form}` }))),
    )
    const formsMs = Date.now() - formsStartedAt
    perForm.forEach((answers, form) => {
      const ids = answers.map((answer) => addedUser(answer)?.id)
      if (ids.some((id) => id === undefined)) wrong.push(`form ${form}: ${answers.filter((answer) => !addedUser(answer)).map(describeAnswer).join('; ')}`)
      if (new Set(ids).size !== 1) wrong.push(`form ${form}: ${new Set(ids).size} different answers`)
    })
    http.close()

    const users = await store.users(server)
    const perName = tally(users, (user) => user.name)
    const names = [...Array.from({ length: KEYS }, (_, key) => `Keyed ${key}`), ...Array.from({ length: FORMS }, (_, form) => `Form keyed ${form}`)]
    const notOnce = names.filter((name) => perName[name] !== 1)

    report(
      `idempotency ${store.backend}: ${KEYS} keys × ${PER_KEY} at once (${KEYS_AT_ONCE * PER_KEY} in flight) in ${seconds(ms)}; answers ` +
        `${JSON.stringify(tally(all, (answer) => (replayed(answer) ? `${statusOf(answer)} replayed` : statusOf(answer))))}; ` +
        `${FORMS} forms × ${PER_KEY} submits in ${seconds(formsMs)}: ${perForm.flat().filter((answer) => addedUser(answer)).length} successes; ` +
        `${users.length} rows, ${notOnce.length} keys not stored exactly once, ${wrong.length} keys answered wrongly`,
    )
    expect(wrong.slice(0, 10), `${wrong.length} problems`).toEqual([])
    expect(notOnce.slice(0, 10), 'keys whose user is not stored exactly once').toEqual([])
    expect(users).toHaveLength(KEYS + FORMS)
    await server.stop()
  })
})
