/** The shb_userappl vethcap writes (kept in step with package.json). */
export const VETHCAP_USER_APPL = 'vethcap 0.1.0';
