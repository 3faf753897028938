/** A cloudlet's own name: lowercase letters, digits and '-'. */
export const CLOUDLET_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** `owner/name`, both lowercase letters, digits and '-' (owner may also use '_'). */
export const CLOUDLET_ID = /^([a-z0-9][a-z0-9_-]{0,62})\/([a-z0-9][a-z0-9-]{0,62})$/;
