package io.switchboard.server.grpc;

import io.grpc.Context;
import io.switchboard.tenancy.Principal;

/** The authenticated principal of the current RPC, placed in the gRPC context by {@link ApiInterceptor}. */
public final class Principals {

    static final Context.Key<Principal> KEY = Context.key("switchboard-principal");

    private Principals() {
    }

    /** The context of work done on behalf of {@code p} (what the interceptor attaches to an authenticated RPC). */
    public static Context with(Principal p) {
        return Context.current().withValue(KEY, p);
    }

    public static Principal current() {
        Principal p = KEY.get();
        if (p == null) {
            throw new IllegalStateException("no principal: the RPC did not pass the authentication interceptor");
        }
        return p;
    }
}
