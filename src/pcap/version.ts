/** vethcap's version as files it writes record it (kept in step with package.json). */
export const VETHCAP_VERSION = '0.1.0';

/** The shb_userappl vethcap writes. */
export const VETHCAP_USER_APPL = `vethcap ${VETHCAP_VERSION}`;
