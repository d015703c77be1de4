// What an agent's editors need to name the organisation's texts: its message templates (a send_sms node and the
// agent's sms_templates name one by name or id) and its sender numbers, loaded once by the agent page.
import type { MessageTemplate, Sender } from "../gen/switchboard/v1/messaging_pb";

export interface Texting {
  templates: MessageTemplate[];
  senders: Sender[];
  /** the agent's own sms_templates (as edited, not yet saved): offered first to a send_sms node */
  agentTemplates: string[];
}

/** The live template a reference names, by name or by id, as the server resolves it. */
export function findTemplate(templates: MessageTemplate[], ref: string): MessageTemplate | undefined {
  const r = ref.trim();
  return r ? templates.find((t) => t.name === r || t.id === r) : undefined;
}
