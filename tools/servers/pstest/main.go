// Command pstest runs Google's in-memory Pub/Sub fake (cloud.google.com/go/pubsub/v2/pstest)
// as a server for beam-ts's tests: it listens on 127.0.0.1 at the port given (0: a free
// one), prints "pstest listening on 127.0.0.1:<port>" and serves until it is signalled.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"cloud.google.com/go/pubsub/v2/pstest"
)

func main() {
	port := flag.Int("port", 0, "port on 127.0.0.1 (0: a free one)")
	flag.Parse()
	srv := pstest.NewServerWithAddress(fmt.Sprintf("127.0.0.1:%d", *port))
	fmt.Printf("pstest listening on %s\n", srv.Addr)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	_ = srv.Close()
}
