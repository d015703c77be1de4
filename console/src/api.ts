// The console's one connection to the Switchboard API: grpc-web to the origin the console was served from,
// with the signed-in API key as a bearer token. Tenancy comes from the key alone: the server decides which
// organisation every call reads and writes.
import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import type { DescService } from "@bufbuild/protobuf";
import { BadRequestSchema, ErrorInfoSchema, QuotaFailureSchema, RetryInfoSchema } from "./gen/google/rpc/error_details_pb";
import { AgentService } from "./gen/switchboard/v1/agents_pb";
import { AuditService } from "./gen/switchboard/v1/audit_pb";
import { CallService } from "./gen/switchboard/v1/calls_pb";
import { CampaignService } from "./gen/switchboard/v1/campaigns_pb";
import { ContactService } from "./gen/switchboard/v1/contacts_pb";
import { MessagingService } from "./gen/switchboard/v1/messaging_pb";
import { OrganizationService } from "./gen/switchboard/v1/organizations_pb";
import { PlanService } from "./gen/switchboard/v1/plans_pb";
import { RetentionService } from "./gen/switchboard/v1/retention_pb";
import { UsageService } from "./gen/switchboard/v1/usage_pb";

const STORAGE_KEY = "switchboard.apiKey";

/** The API key of this browser tab (sessionStorage: gone when the tab closes). */
export const session = {
  get key(): string {
    return sessionStorage.getItem(STORAGE_KEY) ?? "";
  },
  set key(value: string) {
    if (value) sessionStorage.setItem(STORAGE_KEY, value);
    else sessionStorage.removeItem(STORAGE_KEY);
  },
};

const bearer: Interceptor = (next) => (req) => {
  const key = session.key;
  if (key) req.header.set("authorization", `Bearer ${key}`);
  return next(req);
};

/** Unary calls refused by the per-key rate limit are retried after the server's RetryInfo delay (3 times). */
const rateLimitRetry: Interceptor = (next) => async (req) => {
  for (let attempt = 0; ; attempt++) {
    try {
      return await next(req);
    } catch (e) {
      const err = ConnectError.from(e);
      const retry = err.code === Code.ResourceExhausted && !req.stream ? retryDelayMs(err) : undefined;
      if (retry === undefined || attempt >= 3) throw err;
      await new Promise((r) => setTimeout(r, Math.min(retry, 5000)));
    }
  }
};

const transport = createGrpcWebTransport({
  baseUrl: window.location.origin,
  interceptors: [bearer, rateLimitRetry],
});

const client = <S extends DescService>(s: S): Client<S> => createClient(s, transport);

export const api = {
  agents: client(AgentService),
  audit: client(AuditService),
  calls: client(CallService),
  campaigns: client(CampaignService),
  contacts: client(ContactService),
  messaging: client(MessagingService),
  organizations: client(OrganizationService),
  plans: client(PlanService),
  retention: client(RetentionService),
  usage: client(UsageService),
};

export interface FieldViolation {
  field: string;
  description: string;
}

/** A failed call as the console shows it: gRPC status name, the server's message and its error details. */
export interface Problem {
  code: string;
  message: string;
  fields: FieldViolation[];
  reason?: string;
  quota?: string;
  retryAfterMs?: number;
}

function retryDelayMs(err: ConnectError): number | undefined {
  const info = err.findDetails(RetryInfoSchema)[0];
  if (!info?.retryDelay) return undefined;
  return Number(info.retryDelay.seconds) * 1000 + Math.floor(info.retryDelay.nanos / 1e6);
}

/** INVALID_ARGUMENT from Code.InvalidArgument. */
export function statusName(code: Code): string {
  return (Code[code] ?? "UNKNOWN").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

export function problem(e: unknown): Problem {
  const err = ConnectError.from(e);
  const fields = err.findDetails(BadRequestSchema).flatMap((b) =>
    b.fieldViolations.map((v) => ({ field: v.field, description: v.description })),
  );
  return {
    code: statusName(err.code),
    message: err.rawMessage,
    fields,
    reason: err.findDetails(ErrorInfoSchema)[0]?.reason,
    quota: err.findDetails(QuotaFailureSchema)[0]?.violations.map((v) => v.description).join("; "),
    retryAfterMs: retryDelayMs(err),
  };
}

export function isCode(e: unknown, code: Code): boolean {
  return ConnectError.from(e).code === code;
}

export { Code };
