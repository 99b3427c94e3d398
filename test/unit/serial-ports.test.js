'use strict';
const assert = require('node:assert/strict');
const { listSerialPorts, listFailedProblem, listTimeoutProblem } = require('../../src/core/serial/ports');

const enoent = (p) => Object.assign(new Error(`ENOENT: no such file or directory, '${p}'`), { code: 'ENOENT' });

/**
 * A filesystem as the fallback sees it: `dirs` maps a folder to its names, `links` a path to what it resolves to
 * (a path that is not a link resolves to itself when it is in `exists`), `files` a path to its text.
 * @param {{ dirs?: Record<string, string[] | Error>, links?: Record<string, string>, files?: Record<string, string>, exists?: string[] }} [spec]
 */
function fakeFs({ dirs = {}, links = {}, files = {}, exists = [] } = {}) {
    return {
        readdir: async (dir) => {
            if (dirs[dir] instanceof Error) throw dirs[dir];
            if (!dirs[dir]) throw enoent(dir);
            return [...dirs[dir]];
        },
        realpath: async (p) => {
            if (p in links) return links[p];
            if (exists.includes(p)) return p;
            throw enoent(p);
        },
        readFile: async (p) => {
            if (!(p in files)) throw enoent(p);
            return files[p];
        },
    };
}

const udevadmMissing = async () => {
    throw Object.assign(new Error('spawn udevadm ENOENT'), { code: 'ENOENT' });
};
const paths = (listing) => listing.ports.map((p) => `${p.source}:${p.path}`);

describe('core/serial-ports', function () {
    it("uses serialport's listing when it finds ports, with what it knows of each", async function () {
        const listing = await listSerialPorts({
            list: async () => [{ path: '/dev/ttyUSB0', manufacturer: 'FTDI', serialNumber: 'A1', pnpId: 'x' }],
            fs: fakeFs({ dirs: { '/dev': ['ttyUSB0', 'ttyACM0'] } }),
            configured: [],
        });
        assert.deepEqual(listing, {
            ports: [
                {
                    path: '/dev/ttyUSB0',
                    source: 'serialport',
                    manufacturer: 'FTDI',
                    serialNumber: 'A1',
                    vendorId: undefined,
                    productId: undefined,
                },
            ],
        });
    });

    it("falls back to /dev when serialport's listing throws (no udevadm), and says why", async function () {
        const listing = await listSerialPorts({
            list: udevadmMissing,
            fs: fakeFs({ dirs: { '/dev': ['null', 'ttyUSB0', 'tty1', 'ttyACM1', 'ttyAMA0', 'ttyACM0', 'pts'] } }),
            configured: [],
        });
        assert.deepEqual(paths(listing), [
            'dev:/dev/ttyACM0',
            'dev:/dev/ttyACM1',
            'dev:/dev/ttyAMA0',
            'dev:/dev/ttyUSB0',
        ]);
        assert.equal(listing.serialportFailure, 'spawn udevadm ENOENT');
        assert.equal(listing.error, undefined);
    });

    it("falls back to /dev when serialport's listing finds nothing, which is no failure", async function () {
        const listing = await listSerialPorts({
            list: async () => [],
            fs: fakeFs({ dirs: { '/dev': ['ttyUSB0'] } }),
            configured: [],
        });
        assert.deepEqual(paths(listing), ['dev:/dev/ttyUSB0']);
        assert.equal(listing.serialportFailure, undefined);
    });

    it("falls back when serialport's listing never answers, and lets its late answer go", async function () {
        /** @type {(err: Error) => void} */
        let settle = () => {};
        const listing = await listSerialPorts({
            list: () => new Promise((resolve, reject) => (settle = reject)),
            fs: fakeFs({ dirs: { '/dev': ['ttyACM0'] } }),
            configured: [],
            timeoutMs: 20,
        });
        assert.deepEqual(paths(listing), ['dev:/dev/ttyACM0']);
        assert.deepEqual(listing.serialportFailure, listTimeoutProblem(20));
        settle(new Error('too late'));
    });

    it('lists by-id links first, naming their device, and does not list that device twice', async function () {
        const id = '/dev/serial/by-id/usb-FTDI_FT232R_A1-if00-port0';
        const listing = await listSerialPorts({
            list: udevadmMissing,
            fs: fakeFs({
                dirs: { '/dev': ['ttyUSB0', 'ttyUSB1'], '/dev/serial/by-id': ['usb-FTDI_FT232R_A1-if00-port0'] },
                links: { [id]: '/dev/ttyUSB1' },
            }),
            configured: [],
        });
        assert.deepEqual(listing.ports, [
            { path: id, source: 'dev', target: '/dev/ttyUSB1' },
            { path: '/dev/ttyUSB0', source: 'dev' },
        ]);
    });

    it('lists only the ttyS ports with a UART behind them, in numeric order', async function () {
        const dev = ['ttyS0', 'ttyS1', 'ttyS2', 'ttyS3', 'ttyS10', 'ttyS31'];
        const files = {
            '/sys/class/tty/ttyS0/type': '4\n',
            '/sys/class/tty/ttyS1/type': '0\n',
            '/sys/class/tty/ttyS2/type': '0\n',
            '/sys/class/tty/ttyS10/type': '4\n',
            '/sys/class/tty/ttyS31/type': '0\n',
            // ttyS3 has no sysfs entry: nothing says a UART is there.
        };
        const listing = await listSerialPorts({
            list: udevadmMissing,
            fs: fakeFs({ dirs: { '/dev': dev }, files }),
            configured: [],
        });
        assert.deepEqual(paths(listing), ['dev:/dev/ttyS0', 'dev:/dev/ttyS10']);
    });

    it('adds configured ports that resolve into /dev/pts and exist now, whichever listing answered', async function () {
        const fs = fakeFs({
            dirs: { '/dev': ['ttyUSB0'] },
            links: { '/tmp/x': '/dev/pts/3', '/tmp/usb': '/dev/ttyUSB0' },
            exists: ['/dev/pts/4', '/dev/ttyUSB0'],
        });
        const configured = ['/tmp/x', '/tmp/gone', '/dev/pts/4', '/tmp/usb', '/tmp/x', '', '/dev/ttyUSB0'];
        const fallback = await listSerialPorts({ list: udevadmMissing, fs, configured });
        assert.deepEqual(paths(fallback), ['dev:/dev/ttyUSB0', 'configured:/dev/pts/4', 'configured:/tmp/x']);
        assert.deepEqual(fallback.ports[2], { path: '/tmp/x', source: 'configured', target: '/dev/pts/3' });
        const listed = await listSerialPorts({ list: async () => [{ path: '/dev/ttyUSB0' }], fs, configured });
        assert.deepEqual(paths(listed), ['serialport:/dev/ttyUSB0', 'configured:/dev/pts/4', 'configured:/tmp/x']);
    });

    it('gives an error with both reasons when the listing and /dev both fail, and still the configured links', async function () {
        const denied = Object.assign(new Error("EACCES: permission denied, scandir '/dev'"), { code: 'EACCES' });
        const listing = await listSerialPorts({
            list: udevadmMissing,
            fs: fakeFs({ dirs: { '/dev': denied }, links: { '/tmp/x': '/dev/pts/3' } }),
            configured: ['/tmp/x'],
        });
        assert.deepEqual(paths(listing), ['configured:/tmp/x']);
        assert.deepEqual(listing.error, listFailedProblem('spawn udevadm ENOENT', denied.message));
        assert.equal(listing.error.code, 'sensorhub-serial-port.list.failed');
        assert.equal(
            listing.error.message,
            "serialport's listing failed (spawn udevadm ENOENT) and /dev could not be read " +
                "(EACCES: permission denied, scandir '/dev')",
        );
    });

    it("says a timed-out listing inside the error's English message", function () {
        assert.equal(
            listFailedProblem(listTimeoutProblem(5000), 'x').message,
            "serialport's listing failed (it did not answer within 5000 ms) and /dev could not be read (x)",
        );
    });

    it("gives no error for an empty serialport listing and an unreadable /dev: serialport's answer stands", async function () {
        const listing = await listSerialPorts({
            list: async () => [],
            fs: fakeFs({ dirs: { '/dev': new Error('EACCES') } }),
            configured: [],
        });
        assert.deepEqual(listing, { ports: [] });
    });
});
