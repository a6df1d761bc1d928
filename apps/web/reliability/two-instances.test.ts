import { describe, expect } from 'vitest'
import { actionErrorCode, addUserActionId, addedUser, client, describeAnswer, onPostgres, report, statusOf, type Answer } from './harness'

// Two instances of the same build (.next-e2e) on one PostgreSQL database, as behind a load balancer:
// a page rendered by A posts its Server Action to B; the rate limit and idempotency keys, both kept in
// the database, hold across the two. Both run with TRUSTED_PROXIES=1, as they would behind a proxy of
// yours, so that each check below is a client address of its own (X-Forwarded-For, as that proxy sets it).

const LIMIT = 5
const ENV = { RATE_LIMIT_WRITES: String(LIMIT), TRUSTED_PROXIES: '1' }

const decode = (html: string) => html.replaceAll('&quot;', '"').replaceAll('&amp;', '&')

/** The add form as a server rendered it: its action's id and the idempotency key of this render. */
async function renderedForm(url: string): Promise<{ actionId: string; idempotencyKey: string }> {
  const html = await (await fetch(`${url}/`)).text()
  const form = /<form aria-label="Server Action"[^>]*>((?:<input[^>]*>)*)/.exec(html)?.[1]
  if (!form) throw new Error(`no Server Action form on ${url}/`)
  const actionId = /"id":"([0-9a-f]+)"/.exec(decode(form))?.[1]
  const idempotencyKey = /name="idempotency-key" value="([^"]+)"/.exec(form)?.[1]
  if (!actionId || !idempotencyKey) throw new Error(`the form on ${url}/ has no action id or idempotency key: ${form}`)
  return { actionId, idempotencyKey }
}

const from = (address: string) => ({ 'x-forwarded-for': address })

describe('two instances on one PostgreSQL, same build', () => {
  onPostgres('a page from A posts to B; the rate limit and idempotency hold across both', 120_000, async (store) => {
    // At once, as a deployment would: the migrations are serialized by an advisory lock.
    const [a, b] = await Promise.all([store.start(ENV), store.start(ENV)])
    const [toA, toB] = [client(a.url), client(b.url)]
    const named = async (name: string) => (await store.users()).filter((user) => user.name === name)

    // 1. The form A rendered, posted to B (its id, its per-render idempotency key), then again to A.
    const formA = await renderedForm(a.url)
    const formB = await renderedForm(b.url)
    expect(formA.actionId, 'A renders the action id of the build’s manifest').toBe(addUserActionId())
    expect(formB.actionId, 'and so does B').toBe(formA.actionId)
    const fields = { name: 'Rendered By A', 'idempotency-key': formA.idempotencyKey }
    const atB = await toB.addViaAction(fields, from('203.0.113.1'), formA.actionId)
    const againAtA = await toA.addViaAction(fields, from('203.0.113.1'), formA.actionId)
    expect(addedUser(atB), `B runs the action of A's page: ${describeAnswer(atB)}`).toMatchObject({ name: 'Rendered By A' })
    expect(addedUser(againAtA)?.id, 'the same form posted again to A: the first answer, replayed').toBe(addedUser(atB)?.id)
    expect(await named('Rendered By A')).toHaveLength(1)

    // 2. One client, three writes to each instance in turn: the limit counts them together.
    const limited: Answer[] = []
    for (let i = 1; i <= 6; i++) limited.push(await (i % 2 ? toA : toB).addViaApi({ name: `Limited ${i}` }, from('203.0.113.2')))
    expect(limited.map(statusOf), 'A, B, A, B, A, B').toEqual([201, 201, 201, 201, 201, 429])
    const refused = limited[5]!
    expect('error' in refused ? null : refused.headers['retry-after'], '429 says when to retry').toMatch(/^\d+$/)

    // 2b. The same across doors: three API calls to A, three Server Action calls to B.
    const mixed: Answer[] = []
    for (let i = 1; i <= 3; i++) mixed.push(await toA.addViaApi({ name: `Mixed api ${i}` }, from('203.0.113.3')))
    for (let i = 1; i <= 3; i++) mixed.push(await toB.addViaAction({ name: `Mixed action ${i}` }, from('203.0.113.3')))
    const mixedOutcomes = mixed.map((answer) => (addedUser(answer) ? 'ok' : (actionErrorCode(answer) ?? statusOf(answer))))
    expect(mixedOutcomes, 'API to A ×3, Server Action to B ×3').toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'RATE_LIMITED'])

    // 3. An Idempotency-Key sent to A, then the same request to B: B replays A's answer.
    const key = { 'idempotency-key': `"${crypto.randomUUID()}"` }
    const first = await toA.addViaApi({ name: 'Keyed Once' }, { ...from('203.0.113.4'), ...key })
    const retry = await toB.addViaApi({ name: 'Keyed Once' }, { ...from('203.0.113.4'), ...key })
    const other = await toB.addViaApi({ name: 'Keyed Otherwise' }, { ...from('203.0.113.4'), ...key })
    expect([statusOf(first), statusOf(retry), statusOf(other)]).toEqual([201, 201, 422])
    expect('error' in retry ? null : retry.headers['idempotency-replayed']).toBe('true')
    expect(addedUser(retry)?.id).toBe(addedUser(first)?.id)
    expect(await named('Keyed Once')).toHaveLength(1)

    const users = await store.users()
    expect(users.map((user) => user.name).sort()).toEqual(
      ['Rendered By A', 'Limited 1', 'Limited 2', 'Limited 3', 'Limited 4', 'Limited 5', 'Mixed api 1', 'Mixed api 2', 'Mixed api 3', 'Mixed action 1', 'Mixed action 2', 'Keyed Once'].sort(),
    )
    report(
      `two instances on PostgreSQL: A's form posted to B → ${addedUser(atB) ? 'added' : 'refused'}, again to A → replayed; ` +
        `rate limit ${LIMIT} across A/B → ${JSON.stringify(limited.map(statusOf))}, across doors → ${JSON.stringify(mixedOutcomes)}; ` +
        `Idempotency-Key A then B → ${statusOf(first)}, ${statusOf(retry)} replayed, other body ${statusOf(other)}; ${users.length} rows`,
    )
    toA.close()
    toB.close()
    await Promise.all([a.stop(), b.stop()])
  })
})
