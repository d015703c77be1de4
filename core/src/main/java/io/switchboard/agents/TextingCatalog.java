package io.switchboard.agents;

import java.util.Optional;

/**
 * What an organisation can text with, as an agent's {@code send_sms} nodes and {@code sms_templates} name it: its
 * live message templates (by name or id) and its sender numbers, each with its channel ({@code sms} or
 * {@code whatsapp}). Checked when the agent is saved, so a flow cannot name a template its organisation lacks.
 */
public interface TextingCatalog {

    /** The channel of the organisation's live template named {@code nameOrId} or with that id. */
    Optional<String> templateChannel(String nameOrId);

    /** The channel of the organisation's sender number {@code address}. */
    Optional<String> senderChannel(String address);

    /** Whether names are checked at all; see {@link #UNCHECKED}. */
    default boolean checks() {
        return true;
    }

    /**
     * Takes every name as it is: for an update that does not touch the flow or the templates, so a template
     * deleted since the agent was saved does not block an unrelated edit (the call then records the refusal).
     */
    TextingCatalog UNCHECKED = new TextingCatalog() {
        @Override
        public Optional<String> templateChannel(String nameOrId) {
            return Optional.empty();
        }

        @Override
        public Optional<String> senderChannel(String address) {
            return Optional.empty();
        }

        @Override
        public boolean checks() {
            return false;
        }
    };
}
