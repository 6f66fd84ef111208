//! Keys: roles, refused key types, passphrases, where the signing key comes from.
