// actionroute/testing: drive both doors of an operation in-process, outside Next (unit tests, the parity kit).
export { compareDoors, expectAuthDecided, expectParity, expectRefusedWithoutPrincipal, withActionContext } from './testing/doors'
export type { Observed, Parity, ParityOptions, TestRequestInit } from './testing/doors'
