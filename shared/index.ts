export * from './platforms';
export * from './identity';
export * from './actions';
export * from './runs';
export * from './task-queues';
export * from './workflow-ids';
export * from './platform-defaults';
