'use strict';
// The headless Chromium every e2e browser test starts: no sandbox (containers), no GPU, and nothing that reaches for
// the network by itself, so a test sees only the Node-RED it started.
const CHROMIUM_ARGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
];

module.exports = { CHROMIUM_ARGS };
