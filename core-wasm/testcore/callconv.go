//go:build js && wasm

package main

import (
	"encoding/json"
	"fmt"
	"sync"
	"syscall/js"
)

// Error codes returned in promise rejections. The values match the ones the
// official core uses for the same situations.
const (
	errCodeArgs        = 100   // argument conversion failed (the real core's recover path)
	errCodeArgsErr     = 10002 // semantically invalid arguments
	errCodeNotLogin    = 10005 // call needs a logged-in user
	errCodeNotInit     = 10006 // initSDK was not called
	errCodeLoginRepeat = 10102 // login while already logged in
)

// voidResult is what async calls without a return value resolve with: the
// JSON encoding of an empty string, i.e. the two characters `""`.
const voidResult = `""`

// sdkError becomes a promise rejection {errCode, errMsg, operationID}.
type sdkError struct {
	code int
	msg  string
}

func (e *sdkError) Error() string { return fmt.Sprintf("%d %s", e.code, e.msg) }

func newSDKError(code int, format string, a ...interface{}) *sdkError {
	return &sdkError{code: code, msg: fmt.Sprintf(format, a...)}
}

// argError is panicked by the arg* helpers and recovered by asyncFunc, the
// way the official core turns argument conversion panics into errCode 100.
type argError struct{ msg string }

func argAt(args []js.Value, i int, name string, want js.Type) js.Value {
	if i >= len(args) {
		panic(argError{fmt.Sprintf("missing argument %d (%s)", i, name)})
	}
	if args[i].Type() != want {
		panic(argError{fmt.Sprintf("argument %d (%s) must be a %s, got %s", i, name, want, args[i].Type())})
	}
	return args[i]
}

func argString(args []js.Value, i int, name string) string {
	return argAt(args, i, name, js.TypeString).String()
}

func argBool(args []js.Value, i int, name string) bool {
	return argAt(args, i, name, js.TypeBoolean).Bool()
}

func argInt(args []js.Value, i int, name string) int {
	return argAt(args, i, name, js.TypeNumber).Int()
}

// newPromise builds a JS Promise. The executor runs synchronously inside the
// Promise constructor, so the wrapper function can be released right after.
func newPromise(executor func(resolve, reject js.Value)) js.Value {
	fn := js.FuncOf(func(this js.Value, args []js.Value) interface{} {
		executor(args[0], args[1])
		return nil
	})
	defer fn.Release()
	return js.Global().Get("Promise").New(fn)
}

// asyncFunc wraps an API call in the official core's async convention: the
// JS call returns a Promise at once, the work runs on its own goroutine (so
// it may block, sleep or call back into JS), and the outcome either resolves
// with a JSON text or rejects with a plain {errCode, errMsg, operationID}.
func asyncFunc(body func(opID string, args []js.Value) (string, error)) func(js.Value, []js.Value) interface{} {
	return func(this js.Value, args []js.Value) interface{} {
		return newPromise(func(resolve, reject js.Value) {
			go func() {
				// Best-effort operationID for the rejection even if
				// argument 0 itself is what is wrong.
				opID := ""
				if len(args) > 0 && args[0].Type() == js.TypeString {
					opID = args[0].String()
				}
				result, err := runRecoveringArgErrors(func() (string, error) {
					return body(argString(args, 0, "operationID"), args)
				})
				if err != nil {
					reject.Invoke(rejection(err, opID))
					return
				}
				resolve.Invoke(result)
			}()
		})
	}
}

// runRecoveringArgErrors converts argError panics into errCode 100. Any
// other panic is re-raised so that real bugs still crash the program.
func runRecoveringArgErrors(f func() (string, error)) (result string, err error) {
	defer func() {
		if r := recover(); r != nil {
			ae, ok := r.(argError)
			if !ok {
				panic(r)
			}
			err = &sdkError{code: errCodeArgs, msg: ae.msg}
		}
	}()
	return f()
}

func rejection(err error, opID string) js.Value {
	code, msg := errCodeArgs, err.Error()
	if se, ok := err.(*sdkError); ok {
		code, msg = se.code, se.msg
	}
	// Build the object by hand rather than with js.ValueOf(map) so the key
	// order is stable (Go map iteration order is random).
	obj := js.Global().Get("Object").New()
	obj.Set("errCode", code)
	obj.Set("errMsg", msg)
	obj.Set("operationID", opID)
	return obj
}

// syncStyleFunc wraps a call in the official core's "sync without callback"
// convention: the body runs synchronously inside the JS call and indexes its
// args directly, so a missing argument panics on the callback goroutine and
// takes the whole Go program down (exit code 2), just like the real core.
// The result is delivered as a Promise resolving with an array.
func syncStyleFunc(body func(args []js.Value) []interface{}) func(js.Value, []js.Value) interface{} {
	return func(this js.Value, args []js.Value) interface{} {
		result := body(args)
		return newPromise(func(resolve, reject js.Value) {
			resolve.Invoke(js.ValueOf(result))
		})
	}
}

// ---- events ----

var (
	listenerMu sync.Mutex
	listener   js.Value // set by commonEventFunc; undefined until then
)

// event is the JSON shape every callback receives.
type event struct {
	Event       string `json:"event"`
	ErrCode     int    `json:"errCode"`
	ErrMsg      string `json:"errMsg"`
	Data        string `json:"data"`
	OperationID string `json:"operationID"`
}

// commonEventFunc(fn) stores the single event listener; the last one wins.
func commonEventFunc(this js.Value, args []js.Value) interface{} {
	if len(args) > 0 && args[0].Type() == js.TypeFunction {
		listenerMu.Lock()
		listener = args[0]
		listenerMu.Unlock()
	}
	return nil
}

// emit delivers one event to the stored listener, if any. It must never be
// called with a lock held: the listener may synchronously call back into Go,
// and that callback would deadlock on the lock.
func emit(name, data, opID string) {
	listenerMu.Lock()
	fn := listener
	listenerMu.Unlock()
	if fn.Type() != js.TypeFunction {
		return
	}
	text, err := json.Marshal(event{Event: name, Data: data, OperationID: opID})
	if err != nil {
		panic(err) // cannot happen: the struct only holds strings and ints
	}
	fn.Invoke(string(text))
}
