// The official StackOne SDK pointed at a linkhub server, with a fetcher that records every raw
// exchange: the SDK strips what its schemas do not know (rpc `data`, the accounts' `plaid`
// field...), so tests read payloads from the record.
import { StackOne } from '@stackone/stackone-client-ts';
import { HTTPClient } from '@stackone/stackone-client-ts/lib/http.js';

// A client for `serverURL` with `apiKey` as the Basic user name and SDK retries off (it would
// otherwise retry 429 answers for up to an hour). Each request is pushed onto `exchanges` as
// {method, url, accountHeader, requestBody, status, json}.
export function stackoneClient(serverURL, apiKey, exchanges) {
  const httpClient = new HTTPClient({
    fetcher: async (input, init) => {
      const req = input instanceof Request ? input : new Request(input, init);
      const requestBody = req.body ? await req.clone().text() : undefined;
      const res = await fetch(req);
      let json;
      try { json = await res.clone().json(); } catch { json = undefined; }
      exchanges.push({ method: req.method, url: new URL(req.url),
                       accountHeader: req.headers.get('x-account-id'), requestBody,
                       status: res.status, json });
      return res;
    },
  });
  return new StackOne({
    serverURL,
    security: { username: apiKey, password: '' },
    retryConfig: { strategy: 'none' },
    httpClient,
  });
}
