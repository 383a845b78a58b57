import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import { refusedAddress } from '../domain/addresses.js';

/**
 * A `lookup` for http.request that resolves as Node would and refuses, before any connection is
 * made, a name with any address webhooks may not reach (domain/addresses.ts). The socket connects
 * to the very addresses checked, so a name whose DNS answers one thing when the URL is saved and
 * another when the notice is sent (DNS rebinding) is caught as it connects. A literal address in
 * the URL never reaches a lookup: webhookUrlProblem checks those.
 */
/** The code of the error a refused name fails its request with. */
export const refusedAddressCode = 'ELNPORT_REFUSED_ADDRESS';

export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '');
    const refused = addresses.find((a) => refusedAddress(a.address) !== null);
    if (refused) {
      const why = refusedAddress(refused.address)!;
      const refusal: NodeJS.ErrnoException = new Error(`refused: ${hostname} resolves to ${refused.address}, ${why}, which webhooks may not reach`);
      refusal.code = refusedAddressCode;
      return callback(refusal, '');
    }
    // Node asks for every address when it races IPv4 against IPv6 (autoSelectFamily), else for one.
    if (options.all) return callback(null, addresses);
    return callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};
