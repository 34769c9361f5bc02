// Command vigil is the whole product: the platform (serve), the agent, offline tools and
// admin commands. See `vigil --help`.
package main

import (
	"context"
	"os"

	"github.com/vigilsec/vigil/internal/cli"
)

func main() {
	os.Exit(cli.Execute(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
