package io.switchboard.worker.messaging;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.messaging.Message;
import io.switchboard.messaging.MessageCarrier;
import io.switchboard.messaging.MessagingService;
import io.switchboard.queue.JobContext;
import io.switchboard.queue.JobHandler;

/**
 * Hands one queued text to the carrier: the outbox's consumer. It runs at least once per message, and sends
 * at most once: a message that already has the carrier's id is done; one whose earlier attempt went out but
 * was never recorded ({@code sending} with a start time: the worker died, or the answer was lost) is first
 * looked up at the carrier, and only sent if the carrier has no record of it. Opt-outs are checked again at
 * send time (a STOP may arrive while a text waits for its calling window). Sends from one sender are paced;
 * a job whose sender's next slot is far off is handed back for later without spending an attempt.
 */
public final class SendMessageJob implements JobHandler {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long a job waits for its sender's slot before handing the job back. */
    static final Duration MAX_PACING_WAIT = Duration.ofSeconds(2);

    private final MessagingService messaging;
    private final MessageCarrier carrier;
    private final Clock clock;
    private final Duration perSenderInterval;

    /** @param perSenderInterval the least time between two texts from one sender number (zero: no pacing) */
    public SendMessageJob(MessagingService messaging, MessageCarrier carrier, Clock clock, Duration perSenderInterval) {
        this.messaging = messaging;
        this.carrier = carrier;
        this.clock = clock;
        this.perSenderInterval = perSenderInterval;
    }

    @Override
    public String kind() {
        return MessagingService.SEND_JOB;
    }

    @Override
    public void handle(JobContext ctx) throws Exception {
        UUID id = UUID.fromString(JSON.readTree(ctx.job().payloadJson()).path("message_id").asText());
        Optional<MessagingService.Dispatch> found = messaging.dispatch(id);
        if (found.isEmpty()) {
            return; // erased or expired before it went out
        }
        MessagingService.Dispatch d = found.get();
        if (d.carrierSid().isPresent() || d.status().terminal() || d.status().after(Message.Status.SENDING)) {
            return; // already with the carrier
        }
        if (d.purpose() == Message.Purpose.TEXT && messaging.optedOut(d.organizationId(), d.contactPhone())) {
            messaging.failed(d, "", "not sent: " + d.contactPhone() + " opted out after the message was queued");
            return;
        }
        MessageCarrier.Send send = new MessageCarrier.Send(id, d.from(), d.to(), d.body(), d.contentSid(),
                d.contentVariables());
        if (d.status() == Message.Status.SENDING && d.sendStartedAt().isPresent()) {
            Optional<MessageCarrier.Accepted> earlier = carrier.find(send, d.sendStartedAt().get());
            if (earlier.isPresent()) {
                messaging.accepted(d, earlier.get().sid());
                return;
            }
        }
        if (!perSenderInterval.isZero()) {
            Instant slot = messaging.reserveSlot(d.from(), perSenderInterval, MAX_PACING_WAIT)
                    .orElseThrow(() -> new JobContext.Deferred("sender " + d.from() + " is at its pace limit",
                            clock.instant().plus(MAX_PACING_WAIT)));
            for (Instant now = clock.instant(); now.isBefore(slot); now = clock.instant()) {
                ctx.checkpoint();
                Thread.sleep(Math.max(1, Math.min(200, Duration.between(now, slot).toMillis())));
            }
        }
        ctx.checkpoint();
        messaging.sending(id);
        try {
            messaging.accepted(d, carrier.send(send).sid());
        } catch (MessageCarrier.CarrierException e) {
            switch (e.failure()) {
                case REFUSED -> messaging.failed(d, e.code(), e.getMessage());
                case UNREACHABLE -> {
                    messaging.notSent(id);
                    throw e;
                }
                case UNCERTAIN -> throw e;
            }
        }
    }
}
