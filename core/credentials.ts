// Where sluice's AWS clients get credentials: always the SDK's default provider
// chain (environment, SSO, profiles, web identity, container and instance roles),
// so temporary credentials keep their session token on Lambda and in the CLI. Only
// a client aimed at the local stack may fall back to placeholders, and only when the
// chain finds nothing: the emulators accept any signature.
import { defaultProvider } from '@aws-sdk/credential-provider-node';

type CredentialProvider = ReturnType<typeof defaultProvider>;
type Credentials = Awaited<ReturnType<CredentialProvider>>;

/** What the local stack signs with when the machine has no AWS credentials at all. */
export const PLACEHOLDER_CREDENTIALS: Readonly<Credentials> = Object.freeze({
  accessKeyId: 'sluice-local',
  secretAccessKey: 'sluice-local',
});

/**
 * The chain found no usable credentials: none configured, or a profile whose SSO
 * session expired. Either way the local stack can go on with placeholders.
 */
function foundNothing(err: unknown): boolean {
  return err instanceof Error && /^(CredentialsProviderError|TokenProviderError)$/.test(err.name);
}

/**
 * The default chain, or placeholders when it finds nothing. For local endpoints
 * only: against AWS a missing credential must fail loudly, as the SDK does.
 */
export function localEndpointCredentials(chain: CredentialProvider = defaultProvider()): CredentialProvider {
  let placeholder = false;
  return async (options) => {
    if (placeholder) return PLACEHOLDER_CREDENTIALS;
    try {
      return await chain(options);
    } catch (err) {
      if (!foundNothing(err)) throw err;
      placeholder = true;
      return PLACEHOLDER_CREDENTIALS;
    }
  };
}

/**
 * Whether the chain finds credentials: when it does not, the local stack hands
 * tools outside this process (the AWS CLI, other SDKs) the placeholders.
 */
export async function chainFindsCredentials(chain: CredentialProvider = defaultProvider()): Promise<boolean> {
  try {
    await chain();
    return true;
  } catch (err) {
    if (!foundNothing(err)) throw err;
    return false;
  }
}
