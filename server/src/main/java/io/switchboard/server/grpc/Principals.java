package io.switchboard.server.grpc;

import io.grpc.Context;
import io.switchboard.tenancy.Principal;

/** The authenticated principal of the current RPC, placed in the gRPC context by {@link ApiInterceptor}. */
public final class Principals {

    static final Context.Key<Principal> KEY = Context.key("switchboard-principal");

    private Principals() {
    }

    public static Principal current() {
        Principal p = KEY.get();
        if (p == null) {
            throw new IllegalStateException("no principal: the RPC did not pass the authentication interceptor");
        }
        return p;
    }
}
