import type { EngineContext, EngineFactory } from '../engine'
import { SimulatorNetwork } from './network'
import { SIMULATOR_CAPABILITIES, SimulatorSession, type SimulatorOptions } from './session'

export { SimulatorNetwork } from './network'
export { SimulatorSession, SIMULATOR_CAPABILITIES } from './session'

/** All simulator sessions of one server share one network, so they can message each other. */
export function createSimulatorFactory(options: SimulatorOptions, network = new SimulatorNetwork()): EngineFactory & { network: SimulatorNetwork } {
  return {
    engine: 'simulator',
    capabilities: SIMULATOR_CAPABILITIES,
    network,
    create: (context: EngineContext) => new SimulatorSession(context, network, options),
  }
}
