"""The seed's collector (../shared/seeds/002_db423a81653ca062.txt), as the fleet benchmark's anchor.

AsyncSensor and collect_sensor_data are the article's own code: each read sleeps a uniform 0.1-0.5 s and returns a
value; asyncio.gather reads every sensor at once. Prints one JSON line: the wall time of each cycle (after one
warm-up cycle), the RSS before the first cycle and the peak RSS, both in KiB.

    python3 bench/anchors/python_collector.py <sensors> <cycles> [--sequential]
"""
import asyncio
import json
import random
import resource
import sys


class AsyncSensor:
    def __init__(self, sensor_id):
        self.sensor_id = sensor_id

    async def read(self):
        # Simulate sensor reading delay
        delay = random.uniform(0.1, 0.5)
        await asyncio.sleep(delay)
        return 20 + random.random() * 10


async def collect_sensor_data(sensors):
    tasks = [sensor.read() for sensor in sensors]
    return await asyncio.gather(*tasks)


async def read_all_sensors_sequentially(sensors):
    # The article's "before" picture, with the same awaitable reads.
    return [await sensor.read() for sensor in sensors]


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024


async def main(n, cycles, sequential):
    random.seed(2024)
    sensors = [AsyncSensor(i) for i in range(n)]
    collect = read_all_sensors_sequentially if sequential else collect_sensor_data
    base = rss_kib()
    loop = asyncio.get_running_loop()
    times = []
    for _ in range(cycles + (0 if sequential else 1)):
        start = loop.time()
        data = await collect(sensors)
        times.append(loop.time() - start)
        assert len(data) == n
    if not sequential:
        times = times[1:]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"n": n, "cycles": times, "baseRssKiB": base, "peakRssKiB": peak,
                      "python": sys.version.split()[0]}))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), "--sequential" in sys.argv[3:]))
