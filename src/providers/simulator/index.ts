import type { EngineContext, EngineFactory } from '../engine'
import { SimulatorNetwork } from './network'
import { SIMULATOR_CAPABILITIES, SimulatorSession, type SimulatorOptions } from './session'

export { SimulatorNetwork } from './network'
export { SimulatorSession, SIMULATOR_CAPABILITIES } from './session'

export type { SimulatorStateStore, StateRow } from './state'

/**
 * All simulator sessions of one server share one network, so they can message each other.
 * Restore the network's durable state (`network.restore()`) before the first session.
 */
export function createSimulatorFactory(options: SimulatorOptions, network = new SimulatorNetwork()): EngineFactory & { network: SimulatorNetwork } {
  return {
    engine: 'simulator',
    capabilities: SIMULATOR_CAPABILITIES,
    network,
    create: (context: EngineContext) => new SimulatorSession(context, network, options),
    close: () => network.close(),
  }
}
