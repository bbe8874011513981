package storetest

import (
	"bytes"
	"io"
)

func streamerBytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
