using System.Buffers;
using System.Text;
using Qaas.Runtime.Tensors;

namespace Qaas.Runtime.Native;

/// <summary>An OrtValue made from a managed <see cref="Tensor"/> for one run. Fixed-size data is used in place
/// (CreateTensorWithDataAsOrtValue does not copy), so the buffer stays pinned until this is disposed, after the value.</summary>
internal sealed unsafe class InputValue : IDisposable
{
    private readonly ValueHandle _value;
    private MemoryHandle _pin;

    private InputValue(ValueHandle value, MemoryHandle pin)
    {
        _value = value;
        _pin = pin;
    }

    public ValueHandle Value => _value;

    public static InputValue Create(Tensor tensor) =>
        tensor is StringTensor strings ? CreateStrings(strings) : CreatePinned(tensor);

    private static InputValue CreatePinned(Tensor tensor)
    {
        var pin = tensor.PinData(out var byteCount);
        var handle = new ValueHandle();
        try
        {
            nint value;
            fixed (long* shape = tensor.ShapeSpan)
            {
                OrtStatus.Check(OrtApi.CreateTensorWithDataAsOrtValue(
                    CpuMemory.Info.DangerousGetHandle(), pin.Pointer, (nuint)byteCount,
                    shape, (nuint)tensor.Rank, (int)tensor.ElementType, &value));
            }
            handle.Attach(value);
            return new InputValue(handle, pin);
        }
        catch
        {
            handle.Dispose();
            pin.Dispose();
            throw;
        }
    }

    private static InputValue CreateStrings(StringTensor tensor)
    {
        var handle = new ValueHandle();
        nint value;
        fixed (long* shape = tensor.ShapeSpan)
        {
            OrtStatus.Check(OrtApi.CreateTensorAsOrtValue(
                CpuMemory.DefaultAllocator, shape, (nuint)tensor.Rank, (int)TensorElementType.String, &value));
        }
        handle.Attach(value);

        // FillStringTensor copies the NUL-terminated strings, so one temporary UTF-8 block is enough.
        var count = tensor.Data.Count;
        var offsets = new int[count];
        var total = 0;
        for (var i = 0; i < count; i++)
        {
            offsets[i] = total;
            total += Encoding.UTF8.GetByteCount(tensor.Data[i]) + 1;
        }
        var utf8 = new byte[Math.Max(total, 1)];
        for (var i = 0; i < count; i++)
            Encoding.UTF8.GetBytes(tensor.Data[i], utf8.AsSpan(offsets[i]));

        var pointers = new byte*[count];
        try
        {
            fixed (byte* block = utf8)
            fixed (byte** strings = pointers)
            {
                for (var i = 0; i < count; i++)
                    strings[i] = block + offsets[i];
                OrtStatus.Check(OrtApi.FillStringTensor(handle.DangerousGetHandle(), strings, (nuint)count));
            }
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        return new InputValue(handle, default);
    }

    public void Dispose()
    {
        _value.Dispose();
        _pin.Dispose();
    }
}
