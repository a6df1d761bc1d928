import { afterEach, describe, expect, it, vi } from 'vitest'

// The app's doors, as a server started with this environment would serve them (env() is read once per process).
async function load(vars: Record<string, string>) {
  for (const [name, value] of Object.entries(vars)) vi.stubEnv(name, value)
  vi.resetModules()
  const { inventory } = await import('actionroute')
  const testing = await import('actionroute/testing')
  const actions = await import('@/app/actions')
  const { api } = await import('@/server/api')
  const operations = await import('@/server/users/operations')
  return { doors: inventory({ paths: api, actions }), testing, operations }
}

const WRITES = ['addUser', 'updateUser', 'renameUser', 'deleteUser', 'setAvatar', 'importUsers', 'cancelImport']
const SIGN_IN = { API_KEYS: 'inventory-test-key-0123456789', ADMIN_PASSWORD: 'an-admin-password', SESSION_SECRET: 's'.repeat(32) }

afterEach(() => {
  vi.unstubAllEnvs()
  vi.resetModules()
})

describe('the app’s inventory', () => {
  it('with API_KEYS, asks a principal of every write on every door; reads and signing in stay public', async () => {
    const { doors, testing } = await load(SIGN_IN)
    testing.expectAuthDecided(doors)
    const writes = doors.filter((door) => WRITES.includes(door.operation))
    expect(new Set(writes.map((door) => door.door))).toEqual(new Set(['route', 'action']))
    for (const door of writes) expect([door.operation, door.door, door.at, door.access, door.authenticatedBy]).toEqual([door.operation, door.door, door.at, 'authenticated', ['ApiKey', 'Session']])
    for (const door of doors.filter((door) => !WRITES.includes(door.operation))) expect([door.operation, door.access]).toEqual([door.operation, 'public'])
  })

  it('with API_KEYS, refuses an anonymous write the same way through the route and the Server Action', async () => {
    const { testing, operations } = await load(SIGN_IN)
    const id = '00000000-0000-4000-8000-000000000000'
    await testing.expectRefusedWithoutPrincipal(operations.addUser, { name: 'Mallory' })
    await testing.expectRefusedWithoutPrincipal(operations.updateUser, { id, name: 'Mallory' }, { method: 'PATCH', params: ['id'] })
    await testing.expectRefusedWithoutPrincipal(operations.renameUser, { id, name: 'Mallory' }, { method: 'PATCH', params: ['id'] })
    await testing.expectRefusedWithoutPrincipal(operations.deleteUser, { id }, { method: 'DELETE', params: ['id'] })
    await testing.expectRefusedWithoutPrincipal(operations.setAvatar, { id, avatar: new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])], 'a.png') }, { method: 'PUT', params: ['id'] })
  })

  it('without API_KEYS, is open by decision (public), as the canonical example expects', async () => {
    const { doors, testing } = await load({ API_KEYS: '' })
    testing.expectAuthDecided(doors)
    expect(new Set(doors.map((door) => door.access))).toEqual(new Set(['public']))
  })
})
