//go:build js && wasm

package main

import (
	"syscall/js"
	"time"
)

// Debug hooks. They are not part of the official API; the host's tests use
// them to provoke crashes, hangs and memory growth on demand.

const mib = 1 << 20

var (
	// hangCounter is package-level so the compiler must keep the stores in
	// debugHang's loop; Go on wasm has no asynchronous preemption, so a
	// call-free loop never yields back to the JS event loop.
	hangCounter uint64

	// held keeps debugAllocate's memory reachable.
	held    [][]byte
	heldMiB int
)

// debugPanic(operationID) -> Promise that never settles; the program dies
// with exit code 2 about 1 ms later while Go still has timers pending (an
// hour-long AfterFunc and a goroutine in a 10 s sleep), the situation a real
// core crash is usually in. (Go 1.19's runtime registers only its earliest
// timer with the host and re-registers it on every resume, so no host
// setTimeout is left outstanding after the exit.)
//
// It also leaves a JS-side setTimeout pending whose callback is a Go function:
// when it fires after the exit, the host must treat it as a no-op (Go's stock
// glue throws "Go program has already exited" there, killing the thread).
func debugPanic(this js.Value, args []js.Value) interface{} {
	time.AfterFunc(time.Hour, func() {})
	go time.Sleep(10 * time.Second)
	js.Global().Call("setTimeout", js.FuncOf(func(js.Value, []js.Value) interface{} { return nil }), 20)
	return newPromise(func(resolve, reject js.Value) {
		go func() {
			time.Sleep(time.Millisecond)
			panic("debugPanic: injected fault")
		}()
	})
}

// debugHang(operationID) never returns, blocking the JS thread.
func debugHang(this js.Value, args []js.Value) interface{} {
	for {
		hangCounter++
	}
}

// debugAllocate(operationID, mb) -> Promise<total MiB held, as JSON number>
func debugAllocate(opID string, args []js.Value) (string, error) {
	mb := argInt(args, 1, "mb")
	if mb < 0 {
		return "", newSDKError(errCodeArgs, "argument 1 (mb) must not be negative, got %d", mb)
	}
	buf := make([]byte, mb*mib)
	// Touch one byte per page so the memory is really committed.
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	held = append(held, buf)
	heldMiB += mb
	return mustJSON(heldMiB), nil
}

// debugEcho(operationID, x) -> Promise<JSON.stringify(x)>
func debugEcho(opID string, args []js.Value) (text string, err error) {
	if len(args) < 2 {
		return "", newSDKError(errCodeArgs, "missing argument 1 (x)")
	}
	// JSON.stringify throws for BigInt or cyclic values; syscall/js turns
	// that into a js.Error panic, which is the caller's fault, not ours.
	defer func() {
		if r := recover(); r != nil {
			jsErr, ok := r.(js.Error)
			if !ok {
				panic(r)
			}
			err = newSDKError(errCodeArgs, "argument 1 (x) cannot be stringified: %s", jsErr.Error())
		}
	}()
	out := js.Global().Get("JSON").Call("stringify", args[1])
	// undefined, functions and symbols have no JSON form.
	if out.Type() != js.TypeString {
		return "", newSDKError(errCodeArgs, "argument 1 (x) has no JSON representation")
	}
	return out.String(), nil
}

// debugEmit(operationID, event, data) -> Promise<`""`>, after delivering
// {event, errCode:0, errMsg:"", data, operationID:""} to the listener.
func debugEmit(opID string, args []js.Value) (string, error) {
	name := argString(args, 1, "event")
	data := argString(args, 2, "data")
	emit(name, data, "")
	return voidResult, nil
}
