// Worker SDK logs at WARN and above only, so test output shows what matters.
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('WARN') });
