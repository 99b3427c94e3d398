import { said, type StatusView } from '../shared/status';
import { prometheusFamilies, statusFigures, type MonitorFormat, type MonitorSnapshot } from './monitor';
import { CONTENT_TYPE, formatPrometheus } from './prometheus';

/** The status before the first snapshot: how often the monitor will send one. */
export function waitingStatus(intervalMs: number): StatusView {
    const text = intervalMs > 0 ? said('every', { seconds: intervalMs / 1000 }) : said('on-input');
    return { fill: 'grey', shape: 'ring', text };
}

/** The status after each snapshot: its figures, yellow when the hub dropped events since the one before. */
export class MonitorStatus {
    private latest: MonitorSnapshot | undefined;
    private droppedBefore = 0;
    private droppedSince = 0;

    seen(snapshot: MonitorSnapshot): void {
        this.latest = snapshot;
        this.droppedSince = snapshot.hub.dropped - this.droppedBefore;
        this.droppedBefore = snapshot.hub.dropped;
    }

    /** Undefined before the first snapshot. */
    view(): StatusView | undefined {
        if (!this.latest) return undefined;
        const fill = this.droppedSince > 0 ? 'yellow' : 'green';
        return { fill, shape: 'dot', text: said('metrics', statusFigures(this.latest)) };
    }
}

/** A snapshot as the message says it: the object, or Prometheus text with its content type for an http response. */
export function metricsMessage(
    snapshot: MonitorSnapshot,
    format: MonitorFormat,
): { topic: string; payload: unknown; headers?: Record<string, string> } {
    if (format !== 'prometheus') return { topic: 'sensorhub_metrics', payload: snapshot };
    const payload = formatPrometheus(prometheusFamilies(snapshot));
    return { topic: 'sensorhub_metrics', payload, headers: { 'content-type': CONTENT_TYPE } };
}
