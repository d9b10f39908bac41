/** The library's name and version, sent in CONNECT. */
export const LANG = "tsnats";
export const VERSION = "0.1.0";
