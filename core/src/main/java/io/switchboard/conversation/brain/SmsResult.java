package io.switchboard.conversation.brain;

/**
 * What came of a text a brain asked the call to send ({@link ReplySink#sendSms}).
 *
 * @param sent     a message was queued for the caller (now, or by an earlier ask for the same template)
 * @param repeated the template had been asked for on this call before: nothing new was sent, this is that outcome
 * @param refusal  why it was not sent, in lower case (opted_out, do_not_call, no_marketing_consent,
 *                 outside_whatsapp_window, outside_calling_window, no_time_zone, no_sender, no_recipient, invalid,
 *                 not_found, unavailable, ...); empty when sent
 * @param detail   the refusal in words, without the caller's number
 */
public record SmsResult(boolean sent, boolean repeated, String refusal, String detail) {

    public static SmsResult refused(String reason, String detail) {
        return new SmsResult(false, false, reason, detail);
    }
}
