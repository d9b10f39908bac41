export { usernamePasswordAuthenticator, tokenAuthenticator, type Authenticator, type Auth } from "./authenticator.js";
export {
  nkeys,
  NKeyPrefix,
  fromSeed,
  fromRawSeed,
  fromPublic,
  createPair,
  createUser,
  createAccount,
  createOperator,
  createServer,
  createCluster,
  encodeKey,
  decodeKey,
  encodeSeed,
  decodeSeed,
  isValidPublicKey,
  signNonce,
  type KeyPair,
} from "./nkeys.js";
export {
  decodeJwt,
  verifyJwt,
  encodeJwt,
  encodeUserJwt,
  encodeAccountJwt,
  encodeOperatorJwt,
  type JwtHeader,
  type JwtClaims,
  type DecodedJwt,
  type JwtPermission,
  type JwtOptions,
  type UserNats,
  type AccountNats,
  type OperatorNats,
} from "./jwt.js";
export { parseCreds, formatCreds, nkeyAuthenticator, jwtAuthenticator, credsAuthenticator, type Creds, type Secret, type SecretSource } from "./creds.js";
export { credsFile } from "./creds_file.js";
