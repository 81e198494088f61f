/** The simulator engine's registry entry: its settings, and its code loaded on first use. */
import { defineEngine } from '../engine'
import type { SimulatorOptions } from './session'

export const simulatorEngine = defineEngine({
  name: 'simulator',
  envelopeName: 'SIMULATOR',
  settings: (read): SimulatorOptions => ({
    qrRefreshMs: read.integer('SIMULATOR_QR_REFRESH_MS', 20_000, 10, 3_600_000),
    connectDelayMs: read.integer('SIMULATOR_CONNECT_DELAY_MS', 200, 0, 60_000),
  }),
  // One factory per server: all its simulator sessions share one network and can message each other.
  // Its phones keep their chats, contacts and groups in the server's database, like real ones.
  // In a cluster the network spans the nodes through the host's relay.
  load: async (settings, host) => {
    const { createSimulatorFactory, SimulatorNetwork } = await import('./index')
    const network = new SimulatorNetwork(
      host.stateStore?.('simulator'),
      (error) => host.logger.error({ err: error }, 'could not save or relay the simulator state'),
      host.relay?.('simulator'),
    )
    await network.restore()
    return createSimulatorFactory(settings, network)
  },
})
