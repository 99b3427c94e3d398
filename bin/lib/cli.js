'use strict';
// What the simulator commands share: options checked against what the command takes (a typo is an error, not an
// option silently ignored), `--help`, and a usage error that exits with code 2 as command-line tools do.

class UsageError extends Error {}

/**
 * `--name value` options and `--flag` switches; `values` and `flags` list the names the command takes. `-h` and
 * `--help` set `help`.
 */
function parseArgs(argv, { values, flags = [] }) {
    const opts = {};
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === '-h' || a === '--help') opts.help = true;
        else if (!a.startsWith('--')) throw new UsageError(`unexpected argument "${a}"`);
        else if (flags.includes(a.slice(2))) opts[a.slice(2)] = true;
        else if (!values.includes(a.slice(2))) throw new UsageError(`unknown option ${a}`);
        else if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
        else opts[a.slice(2)] = argv[++i];
    }
    return opts;
}

/** The option `key` as a number from `min` to `max`, or `fallback` when it was not given. */
function number(opts, key, fallback, min, max) {
    if (opts[key] === undefined) return fallback;
    const n = Number(opts[key]);
    if (opts[key].trim() === '' || !Number.isFinite(n) || n < min || n > max)
        throw new UsageError(`--${key} must be a number from ${min} to ${max}, got "${opts[key]}"`);
    return n;
}

/** The option `key` as one of `choices`, or the first of them when it was not given. */
function choice(opts, key, choices) {
    const v = opts[key] ?? choices[0];
    if (!choices.includes(v)) throw new UsageError(`--${key} must be ${choices.join(', ')}; got "${v}"`);
    return v;
}

/** Runs a command: `--help` prints `usage`; a usage error prints itself and a pointer to `--help`, exit code 2. */
function command(name, usage, spec, main) {
    let opts;
    try {
        opts = parseArgs(process.argv.slice(2), spec);
    } catch (err) {
        return fail(name, err);
    }
    if (opts.help) {
        process.stdout.write(usage);
        return undefined;
    }
    return Promise.resolve()
        .then(() => main(opts))
        .catch((err) => fail(name, err));
}

function fail(name, err) {
    if (err instanceof UsageError) {
        process.stderr.write(`${name}: ${err.message}\nRun ${name} --help for the options.\n`);
        process.exitCode = 2;
    } else {
        process.stderr.write(`${name}: ${err.message}\n`);
        process.exitCode = 1;
    }
}

/** A line on standard output, stamped with the time. */
function say(text) {
    process.stdout.write(`${new Date().toISOString()} ${text}\n`);
}

module.exports = { UsageError, parseArgs, number, choice, command, say };
