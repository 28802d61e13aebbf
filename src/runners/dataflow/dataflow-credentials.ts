import { JobFailedError } from "../../model/index.js";

/** Yields an OAuth2 access token for the Dataflow API, fresh whenever the last one expired. */
export type AccessTokenSource = () => Promise<string>;

/**
 * Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth
 * application-default login`, the metadata server of a Google Cloud VM), as Beam's Dataflow
 * runners use them, through the google-auth-library client that `@google-cloud/storage` (the
 * optional peer dependency gs:// staging needs anyway) carries: its scopes include
 * cloud-platform, which the Dataflow API accepts. No new dependency; the token is cached and
 * refreshed by that client, and never logged.
 *
 * @example const token = await applicationDefaultToken()();
 */
export function applicationDefaultToken(): AccessTokenSource {
  let auth: Promise<{ getAccessToken(): Promise<string | null | undefined> }> | undefined;
  return async () => {
    auth ??= loadStorage().then((sdk) => new sdk.Storage().authClient);
    let token: string | null | undefined;
    try {
      token = await (await auth).getAccessToken();
    } catch (err) {
      throw new JobFailedError(
        `No Google Cloud credentials for the Dataflow API: ${err instanceof Error ? err.message : String(err)}. ` +
          "Run `gcloud auth application-default login`, set GOOGLE_APPLICATION_CREDENTIALS to a service account key file, or run on a Google Cloud VM.",
        { cause: err },
      );
    }
    if (token === null || token === undefined || token === "") {
      throw new JobFailedError("The Google Cloud credentials gave no access token for the Dataflow API: check GOOGLE_APPLICATION_CREDENTIALS or `gcloud auth application-default login`.");
    }
    return token;
  };
}

async function loadStorage(): Promise<typeof import("@google-cloud/storage")> {
  try {
    return await import("@google-cloud/storage");
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new JobFailedError(
        '--runner=dataflow stages to Cloud Storage and signs in with Google credentials through the "@google-cloud/storage" package ' +
          "(7.x for Node 20), an optional peer dependency of beam-ts: npm install @google-cloud/storage@7",
        { cause: err },
      );
    }
    throw err;
  }
}
