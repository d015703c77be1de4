package io.switchboard.server.messaging;

import static io.switchboard.server.grpc.Replies.reply;

import java.util.Optional;

import com.google.protobuf.Empty;
import io.grpc.stub.StreamObserver;
import io.switchboard.common.Page;
import io.switchboard.common.SwitchboardException;
import io.switchboard.messaging.Channel;
import io.switchboard.messaging.ConsentEvent;
import io.switchboard.messaging.Message;
import io.switchboard.messaging.MessagingService;
import io.switchboard.messaging.Sender;
import io.switchboard.messaging.Template;
import io.switchboard.server.grpc.Principals;
import io.switchboard.server.grpc.Protos;
import io.switchboard.v1.AddSenderRequest;
import io.switchboard.v1.CreateMessageTemplateRequest;
import io.switchboard.v1.DeleteMessageTemplateRequest;
import io.switchboard.v1.GetMessageRequest;
import io.switchboard.v1.ListConsentEventsRequest;
import io.switchboard.v1.ListConsentEventsResponse;
import io.switchboard.v1.ListMessageTemplatesRequest;
import io.switchboard.v1.ListMessageTemplatesResponse;
import io.switchboard.v1.ListMessagesRequest;
import io.switchboard.v1.ListMessagesResponse;
import io.switchboard.v1.ListOptOutsRequest;
import io.switchboard.v1.ListOptOutsResponse;
import io.switchboard.v1.ListSendersRequest;
import io.switchboard.v1.ListSendersResponse;
import io.switchboard.v1.ListThreadsRequest;
import io.switchboard.v1.ListThreadsResponse;
import io.switchboard.v1.MessageChannel;
import io.switchboard.v1.MessageDirection;
import io.switchboard.v1.MessageStatus;
import io.switchboard.v1.MessageTemplate;
import io.switchboard.v1.MessagingServiceGrpc;
import io.switchboard.v1.RemoveSenderRequest;
import io.switchboard.v1.SendMessageRequest;
import io.switchboard.v1.TemplateCategory;
import io.switchboard.v1.UpdateMessageTemplateRequest;

/** Translates {@code switchboard.v1.MessagingService} to {@link MessagingService}. */
public final class MessagingGrpcService extends MessagingServiceGrpc.MessagingServiceImplBase {

    private final MessagingService messaging;

    public MessagingGrpcService(MessagingService messaging) {
        this.messaging = messaging;
    }

    @Override
    public void sendMessage(SendMessageRequest req, StreamObserver<io.switchboard.v1.Message> out) {
        reply(out, toProto(messaging.send(Principals.current(), new MessagingService.SendRequest(req.getContactId(),
                req.getTo(), req.getFrom(), req.getBody(), req.getTemplateId(), req.getCallId(), req.getCampaignId(),
                req.getVariablesMap()))));
    }

    @Override
    public void listThreads(ListThreadsRequest req, StreamObserver<ListThreadsResponse> out) {
        Page<MessagingService.Thread> page = messaging.threads(Principals.current(), req.getPageSize(), req.getPageToken());
        ListThreadsResponse.Builder b = ListThreadsResponse.newBuilder().setNextPageToken(page.nextPageToken().orElse(""));
        for (MessagingService.Thread t : page.items()) {
            b.addThreads(io.switchboard.v1.MessageThread.newBuilder().setContactPhone(t.contactPhone())
                    .setContactId(t.contactId().map(Object::toString).orElse("")).setLastChannel(channel(t.lastChannel()))
                    .setLastDirection(direction(t.lastDirection())).setLastMessageTime(Protos.timestamp(t.lastMessageAt()))
                    .setMessages(t.messages()).setOptedOut(t.optedOut()));
        }
        reply(out, b.build());
    }

    @Override
    public void listMessages(ListMessagesRequest req, StreamObserver<ListMessagesResponse> out) {
        Page<Message> page = messaging.messages(Principals.current(), req.getContactPhone(), req.getContactId(),
                req.getPageSize(), req.getPageToken());
        reply(out, ListMessagesResponse.newBuilder().addAllMessages(page.items().stream()
                .map(MessagingGrpcService::toProto).toList()).setNextPageToken(page.nextPageToken().orElse("")).build());
    }

    @Override
    public void getMessage(GetMessageRequest req, StreamObserver<io.switchboard.v1.Message> out) {
        reply(out, toProto(messaging.get(Principals.current(), req.getId())));
    }

    @Override
    public void createMessageTemplate(CreateMessageTemplateRequest req, StreamObserver<MessageTemplate> out) {
        reply(out, toProto(messaging.createTemplate(Principals.current(), spec(req.getTemplate()))));
    }

    @Override
    public void updateMessageTemplate(UpdateMessageTemplateRequest req, StreamObserver<MessageTemplate> out) {
        reply(out, toProto(messaging.updateTemplate(Principals.current(), req.getTemplate().getId(),
                spec(req.getTemplate()))));
    }

    @Override
    public void deleteMessageTemplate(DeleteMessageTemplateRequest req, StreamObserver<Empty> out) {
        messaging.deleteTemplate(Principals.current(), req.getId());
        reply(out, Empty.getDefaultInstance());
    }

    @Override
    public void listMessageTemplates(ListMessageTemplatesRequest req, StreamObserver<ListMessageTemplatesResponse> out) {
        Page<Template> page = messaging.templates(Principals.current(), req.getPageSize(), req.getPageToken());
        reply(out, ListMessageTemplatesResponse.newBuilder().addAllTemplates(page.items().stream()
                .map(MessagingGrpcService::toProto).toList()).setNextPageToken(page.nextPageToken().orElse("")).build());
    }

    @Override
    public void addSender(AddSenderRequest req, StreamObserver<io.switchboard.v1.Sender> out) {
        reply(out, toProto(messaging.addSender(Principals.current(), req.getAddress())));
    }

    @Override
    public void listSenders(ListSendersRequest req, StreamObserver<ListSendersResponse> out) {
        Page<Sender> page = messaging.senders(Principals.current(), req.getPageSize(), req.getPageToken());
        reply(out, ListSendersResponse.newBuilder().addAllSenders(page.items().stream()
                .map(MessagingGrpcService::toProto).toList()).setNextPageToken(page.nextPageToken().orElse("")).build());
    }

    @Override
    public void removeSender(RemoveSenderRequest req, StreamObserver<Empty> out) {
        messaging.removeSender(Principals.current(), req.getId());
        reply(out, Empty.getDefaultInstance());
    }

    @Override
    public void listOptOuts(ListOptOutsRequest req, StreamObserver<ListOptOutsResponse> out) {
        Page<ConsentEvent> page = messaging.optOuts(Principals.current(), req.getPageSize(), req.getPageToken());
        reply(out, ListOptOutsResponse.newBuilder().addAllOptOuts(page.items().stream()
                .map(MessagingGrpcService::toProto).toList()).setNextPageToken(page.nextPageToken().orElse("")).build());
    }

    @Override
    public void listConsentEvents(ListConsentEventsRequest req, StreamObserver<ListConsentEventsResponse> out) {
        reply(out, ListConsentEventsResponse.newBuilder().addAllEvents(messaging.consentEvents(Principals.current(),
                req.getPhoneNumber()).stream().map(MessagingGrpcService::toProto).toList()).build());
    }

    private static MessagingService.TemplateSpec spec(MessageTemplate t) {
        Optional<Channel> channel = Protos.fromProto(t.getChannel(), "MESSAGE_CHANNEL_", Channel.class);
        if (t.getChannel() == MessageChannel.UNRECOGNIZED) {
            throw new SwitchboardException.InvalidArgument("template.channel", "unknown value " + t.getChannelValue());
        }
        if (t.getCategory() == TemplateCategory.UNRECOGNIZED) {
            throw new SwitchboardException.InvalidArgument("template.category", "unknown value " + t.getCategoryValue());
        }
        return new MessagingService.TemplateSpec(t.getName(), channel,
                Protos.fromProto(t.getCategory(), "TEMPLATE_CATEGORY_", Template.Category.class), t.getBody(),
                t.getContentSid());
    }

    static io.switchboard.v1.Message toProto(Message m) {
        io.switchboard.v1.Message.Builder b = io.switchboard.v1.Message.newBuilder().setId(m.id().toString())
                .setChannel(channel(m.channel())).setDirection(direction(m.direction()))
                .setContactId(m.contactId().map(Object::toString).orElse("")).setContactPhone(m.contactPhone())
                .setFrom(m.from()).setTo(m.to()).setBody(m.body())
                .setTemplateId(m.templateId().map(Object::toString).orElse(""))
                .setStatus(MessageStatus.valueOf("MESSAGE_STATUS_" + m.status().name()))
                .setErrorCode(m.errorCode()).setErrorMessage(m.errorMessage()).setSegments(m.segments().count())
                .setEncoding(m.segments().encoding().key()).setCallId(m.callId().map(Object::toString).orElse(""))
                .setCreateTime(Protos.timestamp(m.createdAt())).setUpdateTime(Protos.timestamp(m.updatedAt()))
                .setCarrierSid(m.carrierSid().orElse(""));
        m.sendAfter().ifPresent(t -> b.setSendAfter(Protos.timestamp(t)));
        return b.build();
    }

    static MessageTemplate toProto(Template t) {
        return MessageTemplate.newBuilder().setId(t.id().toString()).setName(t.name()).setChannel(channel(t.channel()))
                .setCategory(TemplateCategory.valueOf("TEMPLATE_CATEGORY_" + t.category().name())).setBody(t.body())
                .setContentSid(t.contentSid()).setCreateTime(Protos.timestamp(t.createdAt()))
                .setUpdateTime(Protos.timestamp(t.updatedAt())).build();
    }

    static io.switchboard.v1.Sender toProto(Sender s) {
        return io.switchboard.v1.Sender.newBuilder().setId(s.id().toString()).setAddress(s.address())
                .setChannel(channel(s.channel())).setCreateTime(Protos.timestamp(s.createdAt())).build();
    }

    static io.switchboard.v1.ConsentEvent toProto(ConsentEvent e) {
        return io.switchboard.v1.ConsentEvent.newBuilder().setId(e.id().toString()).setPhoneNumber(e.phone())
                .setKind(e.kind().name().toLowerCase(java.util.Locale.ROOT)).setWords(e.words()).setSource(e.source())
                .setChannel(channel(e.channel())).setSenderAddress(e.senderAddress())
                .setMessageId(e.messageId().map(Object::toString).orElse(""))
                .setOccurTime(Protos.timestamp(e.occurredAt())).build();
    }

    private static MessageChannel channel(Channel c) {
        return MessageChannel.valueOf("MESSAGE_CHANNEL_" + c.name());
    }

    private static MessageDirection direction(Message.Direction d) {
        return MessageDirection.valueOf("MESSAGE_DIRECTION_" + d.name());
    }
}
