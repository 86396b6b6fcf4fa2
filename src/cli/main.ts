#!/usr/bin/env node
// The executable: the only place that hands process.env to the code and exits.
import { main } from './cli.js';

process.exit(await main(process.argv.slice(2), process.env));
