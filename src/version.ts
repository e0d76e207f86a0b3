/**
 * vethcap's version: what `--version` prints and the files it writes record. The one place
 * it is written in the code; test/unit/version.test.ts keeps it equal to package.json's.
 */
export const VETHCAP_VERSION = '0.1.0';

/** The shb_userappl vethcap writes. */
export const VETHCAP_USER_APPL = `vethcap ${VETHCAP_VERSION}`;
