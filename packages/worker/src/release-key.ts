/**
 * The release public key (Ed25519, SPKI PEM) compiled into every worker build. The embedded
 * safety profile must be signed by its private key (`parapet profile sign`); nothing at run
 * time can name another key.
 */
export const RELEASE_PUBLIC_KEY_PEM = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAW0PwYhFiojo16rt21HZVDkHnl1vWwjdR0bW9WsCI8Rc=
-----END PUBLIC KEY-----
`;
