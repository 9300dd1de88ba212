// The version every front end reports (`pinlens --version`, SARIF's tool
// driver, the server's serverInfo): package.json's, taken into each bundle
// when it is built.
import { version } from '../../package.json';

export const VERSION: string = version;
