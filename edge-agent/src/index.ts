export { createSimulationState, simulateValues } from './sources/simulated/simulate-reading.ts';
export type { SimulationState } from './sources/simulated/simulate-reading.ts';
export { startSimulatedFleet } from './sources/simulated/simulated-fleet.ts';
export type { SimulatedFleet, SimulatedFleetOptions, SimulatedStation } from './sources/simulated/simulated-fleet.ts';
