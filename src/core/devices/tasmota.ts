import { round2, type SensorKind } from '../shared/reading';
import { quote } from '../shared/texts';
import {
    availability,
    deviceProblem,
    expectAnswer,
    feedback,
    finite,
    isProblem,
    NONE,
    onOff,
    parseObject,
    reading,
    text,
    type DeviceEvent,
    type DeviceProfile,
    type FeedbackMemory,
} from './types';

/**
 * Tasmota with its default full topic `%prefix%/%topic%/`: telemetry on
 * `tele/<topic>/SENSOR|STATE|LWT`, answers on `stat/<topic>/RESULT|POWER`,
 * commands on `cmnd/<topic>/<command>`.
 */

export type TasmotaConfig = Record<string, never>;

export interface TasmotaState {
    readonly feedback: FeedbackMemory;
    /** The last known dimmer level per device, for a plain `stat/…/POWER` that carries none. */
    readonly dimmer: Map<string, number>;
}

/** The fields of a sensor driver's object that are readings; the rest (DewPoint, Id…) are not. */
const FIELDS: ReadonlyArray<readonly [field: string, quantity: string, kind: SensorKind, unit: string]> = [
    ['Temperature', 'temperature', 'temperature', '°C'],
    ['Humidity', 'humidity', 'humidity', '%'],
    ['Illuminance', 'illuminance', 'illuminance', 'lx'],
    ['Pressure', 'pressure', 'generic', 'hPa'],
];

export const tasmota: DeviceProfile<TasmotaConfig, TasmotaState> = {
    name: 'tasmota',
    canLock: false,
    createState: () => ({ feedback: new Map(), dimmer: new Map() }),
    subscriptions: () => ['tele/+/SENSOR', 'tele/+/STATE', 'tele/+/LWT', 'stat/+/RESULT', 'stat/+/POWER'],
    decode(topic, payload, state) {
        const first = topic.indexOf('/');
        const last = topic.lastIndexOf('/');
        if (first < 0 || first === last) return NONE;
        const prefix = topic.slice(0, first);
        const device = topic.slice(first + 1, last);
        const what = topic.slice(last + 1);
        if (prefix === 'tele') {
            if (what === 'SENSOR') return decodeSensor(topic, device, payload);
            if (what === 'LWT') return decodeLwt(topic, device, payload);
            if (what === 'STATE') return decodePower(topic, device, payload, state);
        } else if (prefix === 'stat') {
            if (what === 'RESULT') return decodePower(topic, device, payload, state);
            if (what === 'POWER') return decodePlainPower(topic, device, text(payload), state);
        }
        return NONE;
    },
    encodeLight(device, command, state) {
        expectAnswer(state.feedback, device);
        if (command.state === 'off') return [{ topic: `cmnd/${device}/POWER`, payload: 'OFF' }];
        const power = { topic: `cmnd/${device}/POWER`, payload: 'ON' };
        if (command.brightness === undefined) return [power];
        // Dimmer 0 would switch the light off again: a light told to be on gets at least 1.
        const level = Math.min(100, Math.max(1, Math.round(command.brightness)));
        return [power, { topic: `cmnd/${device}/Dimmer`, payload: String(level) }];
    },
    encodeLock: () => [],
};

function decodeLwt(topic: string, device: string, payload: Buffer): DeviceEvent[] {
    const out: DeviceEvent[] = [];
    availability(out, topic, device, text(payload));
    return out;
}

function decodeSensor(topic: string, device: string, payload: Buffer): DeviceEvent[] {
    const obj = parseObject(topic, payload);
    if (isProblem(obj)) return [obj];
    const fahrenheit = obj.TempUnit === 'F';
    const out: DeviceEvent[] = [];
    for (const driver in obj) {
        const sensor = obj[driver];
        if (typeof sensor !== 'object' || sensor === null || Array.isArray(sensor)) continue;
        const fields = sensor as Record<string, unknown>;
        // Several DS18B20s are numbered DS18B20-1, -2… in the order found, which can change: their Id cannot.
        const name = typeof fields.Id === 'string' && fields.Id !== '' ? `${driverName(driver)}-${fields.Id}` : driver;
        for (const [field, quantity, kind, unit] of FIELDS) {
            let v = fields[field];
            if (v === undefined || v === null) continue;
            // The reading contract carries temperatures in °C; a °F sensor node converts back.
            if (field === 'Temperature' && fahrenheit && typeof v === 'number') v = round2(((v - 32) * 5) / 9);
            const pressureUnit = field === 'Pressure' && typeof obj.PressureUnit === 'string' ? obj.PressureUnit : unit;
            reading(out, topic, device, `${name}/${quantity}`, kind, pressureUnit, v);
        }
    }
    return out;
}

function driverName(key: string): string {
    const dash = key.lastIndexOf('-');
    return dash > 0 ? key.slice(0, dash) : key;
}

/** `{"POWER":"ON","Dimmer":40}` from tele/STATE or stat/RESULT; other results (a sensor's, a setting's) carry no POWER. */
function decodePower(topic: string, device: string, payload: Buffer, state: TasmotaState): readonly DeviceEvent[] {
    const obj = parseObject(topic, payload);
    if (isProblem(obj)) return [obj];
    const dimmer = finite(obj.Dimmer);
    if (dimmer !== undefined) state.dimmer.set(device, dimmer);
    if (obj.POWER === undefined) return NONE;
    return decodePlainPower(topic, device, obj.POWER, state);
}

/** A command is answered twice (RESULT and POWER): the feedback memory sends the state once. */
function decodePlainPower(topic: string, device: string, power: unknown, state: TasmotaState): readonly DeviceEvent[] {
    const on = onOff(power);
    if (on === undefined) return [deviceProblem('device.state', topic, quote(String(power)))];
    const out: DeviceEvent[] = [];
    const level = state.dimmer.get(device);
    feedback(out, state.feedback, {
        type: 'light',
        deviceId: device,
        state: on ? 'on' : 'off',
        ...(level === undefined ? {} : { brightness: level }),
    });
    return out;
}
