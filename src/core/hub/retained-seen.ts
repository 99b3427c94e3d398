/** Topics remembered per reader; beyond it a reader may see a retained message twice, never miss one. */
const MAX_TOPICS_PER_READER = 5000;

/**
 * What each raw reader has already been handed, per topic. Subscribing a filter again for a new reader makes the
 * broker resend its retained messages to the whole connection; a reader that has the same bytes for that topic
 * already (retained or live) is not handed them again, so a device's retained state is not read twice.
 */
export class RetainedSeen<R extends object> {
    private readonly seen = new WeakMap<R, Map<string, Buffer>>();

    /** Whether `reader` should get this message; remembers it either way. */
    admit(reader: R, topic: string, payload: Buffer, retained: boolean): boolean {
        let topics = this.seen.get(reader);
        if (topics === undefined) {
            topics = new Map();
            this.seen.set(reader, topics);
        }
        const last = topics.get(topic);
        if (retained && last !== undefined && last.equals(payload)) return false;
        if (last !== undefined || topics.size < MAX_TOPICS_PER_READER) topics.set(topic, payload);
        return true;
    }
}
