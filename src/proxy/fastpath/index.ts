/**
 * fastpath: the kernel's TCP fast path (issue 15). For `tcp` routes the agent keeps an nftables
 * table of its own equal to the routing table, so connections to `<bind IP>:<ServicePort>` are
 * DNATed to an endpoint round robin and never pass through the Node balancer.
 */
export { type FastpathEndpoint, type FastpathRoute, fastpathRoutes } from './fastpath-routes.js';
export { FASTPATH_TABLE, ENDPOINTS_SET, BACKENDS_MAP, buildNftRuleset, removeNftTable, serviceChain, serviceRule, backendElements, endpointElement, endpointElements } from './nft-ruleset.js';
export { buildNftUpdate } from './nft-update.js';
export { type NftResult, type NftRunOptions, runNft, describeNftResult } from './nft-runner.js';
export { type NftEndpointView, type NftPortView, type NftTableViewResult, parseNftTableView } from './nft-table-view.js';
export { type NftTableReaderOptions, type NftTableRead, NftTableReader } from './nft-table-reader.js';
export {
  type NftablesFastpathOptions,
  type FastpathState,
  type FastpathStatus,
  type FastpathPortRules,
  type FastpathEndpointRules,
  NftablesFastpath,
} from './nftables-fastpath.js';
export { type NftSessionOptions, NftSession } from './nft-session.js';
