/** The device profiles over MQTT, by name: what a future devices node offers in its dialog. */

export { esphome } from './esphome';
export { generic, genericConfigProblem } from './generic';
export { homeAssistant } from './homeassistant';
export { shelly } from './shelly';
export { tasmota } from './tasmota';
export { zigbee2mqtt } from './zigbee2mqtt';
export * from './types';
export { parseDeviceNodeConfig, PROFILES, type DeviceNodeConfig, type ProfileName } from './config';
export { problemLog, type ProblemReport } from './problem-log';
export {
    DeviceSource,
    MAX_REMEMBERED_SENSORS,
    type DeviceEventMessage,
    type DeviceListener,
    type DeviceListing,
    type DeviceReadingMessage,
} from './source';
